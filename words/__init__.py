"""What citizens read, on USSD and by SMS: catalogues, dates and times, in English and Kiswahili."""
