"""The monthly committee pack: HTML, tagged PDF and Excel, built from evaluated results."""
