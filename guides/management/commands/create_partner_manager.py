from guides.management.commands import create_editor


class Command(create_editor.Command):
    help = (
        "Create a partner manager account (or reset one's password) and print a one-time password to hand over. "
        "Partner managers read the partner reports and manage partners and offers; they do not edit guides."
    )
    group_name = "Partner managers"
    role = "partner manager"
