"""qualcode: code Chinese interview transcripts."""
