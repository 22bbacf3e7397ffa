"""Domain logic shared by menus, the status API, SMS keywords and the staff console."""
