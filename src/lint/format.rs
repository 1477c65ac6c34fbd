//! Printing findings: human, concise, json, github and sarif.
