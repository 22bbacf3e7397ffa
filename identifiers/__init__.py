"""The identifiers citizens carry and we print: phone and ID numbers, codes and references."""
