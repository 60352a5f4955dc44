"""The bot's logic, free of Discord: handlers and the console call these and only format."""
