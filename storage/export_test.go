package storage

// QueuedCommits is the number of Commit calls waiting for a group (tests).
func QueuedCommits(d *DB) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.queue)
}
