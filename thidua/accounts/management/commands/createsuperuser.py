import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import createsuperuser

from thidua.accounts.services import superuser_record


class Command(createsuperuser.Command):
    help = ("Tạo một tài khoản superuser (lệnh của Django) và ghi việc tạo vào nhật ký, như mọi thay đổi tài khoản: "
            "`thidua audit verify` chỉ ra mọi superuser không được tạo như vậy.")

    def handle(self, *args, **options):
        superusers = get_user_model().objects.filter(is_superuser=True)
        known = set(superusers.values_list("pk", flat=True))
        super().handle(*args, **options)
        # Django's command writes the user in a transaction of its own, after its prompts: the act follows it.
        for user in superusers.exclude(pk__in=known):
            superuser_record(user=user, actor=f"cli:{getpass.getuser()}")
