class DomainError(Exception):
    """An expected failure with a message meant for the user (translated at raise time).

    Views turn it into a form error or a message, never a 500.
    """

    def __init__(self, message, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    def __str__(self):
        return str(self.message)
