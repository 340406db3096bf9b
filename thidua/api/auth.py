"""Who calls the API: the user of the token in `Authorization: Bearer <secret>`."""

from ninja.security import HttpBearer

from .services import token_authenticate


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is not None:
            request.user = user  # for logs and anything that reads request.user
        return user
