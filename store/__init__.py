"""The store: database URLs and connections, the library's recorders, the transcoder, and the one
reader that turns stored events into facts. Nothing here knows a rule of the domain."""
