"""Forms, by area. Labels and messages are lazy so they follow the viewer's language."""
