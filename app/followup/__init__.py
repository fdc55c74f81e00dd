"""Follow-through on the customer's side: replies, reminders, the weekly digest and accounts."""
