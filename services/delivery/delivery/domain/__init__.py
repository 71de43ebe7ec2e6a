"""The rules of delivery: what an email is, when to send it again, what a failure means."""
