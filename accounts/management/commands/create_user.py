from django.core.management.base import CommandError

from accounts.models import Account, Role
from accounts.services import user_create

from ._base import ProvisioningCommand


class Command(ProvisioningCommand):
    help = "Create a member (employee or administrator) of an account."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--account", required=True, type=int, help="The account id")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--email", default="")

    def handle(self, *args, **options):
        account = Account.objects.filter(pk=options["account"]).first()
        if account is None:
            raise CommandError(f"There is no account with id {options['account']}.")
        user = user_create(
            username=options["username"],
            password=options["password"],
            account=account,
            role=options["role"],
            email=options["email"],
        )
        self.stdout.write(f"Created {user.username} ({options['role']}) in {account.name}.")
