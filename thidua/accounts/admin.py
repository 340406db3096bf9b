"""The administration site shows users but changes nothing: every change of a user or a role is an act of the
history, made on the user management pages (/quan-tri/nguoi-dung/) or by `thidua import-users`."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserReadOnly(ReadOnly, UserAdmin):
    pass


@admin.register(Group)
class GroupReadOnly(ReadOnly, GroupAdmin):
    pass

