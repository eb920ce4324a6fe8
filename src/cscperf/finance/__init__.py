"""Budget against forecast outturn from the council's finance ledger."""
