//go:build !linux

package bench

// rss returns 0: the resident set size is read from Linux's /proc only.
func rss() int64 { return 0 }
