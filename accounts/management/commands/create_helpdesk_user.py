from accounts.services import helpdesk_user_create

from ._base import ProvisioningCommand


class Command(ProvisioningCommand):
    help = "Create a member of the vendor's helpdesk (belongs to no account)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")

    def handle(self, *args, **options):
        user = helpdesk_user_create(
            username=options["username"], password=options["password"], email=options["email"]
        )
        self.stdout.write(f"Created helpdesk user {user.username}.")
