"""What citizens see on USSD: the main menu and one module per journey."""
