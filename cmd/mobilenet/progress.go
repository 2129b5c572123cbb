package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress draws eval's progress bar on stderr:
//
//	[#####...............] 25/100  12.3 img/s  ETA 6s
//
// redrawn in place (at most 10 times a second) when stderr is a terminal;
// otherwise only the final line is printed.
type progress struct {
	w       io.Writer
	tty     bool
	total   int
	done    int
	start   time.Time
	drawn   time.Time
	lastLen int
}

func newProgress(w io.Writer, total int) *progress {
	return &progress{w: w, tty: isTerminal(w), total: total, start: time.Now()}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// update records that done images are finished.
func (p *progress) update(done int) {
	p.done = done
	if !p.tty || time.Since(p.drawn) < 100*time.Millisecond {
		return
	}
	p.drawn = time.Now()
	p.draw(false)
}

// finish ends the bar: its final state when ok, otherwise only a line
// break after a drawn bar (so that an error line stands alone).
func (p *progress) finish(ok bool) {
	switch {
	case ok:
		p.draw(true)
		fmt.Fprintln(p.w)
	case p.lastLen > 0:
		fmt.Fprintln(p.w)
	}
}

func (p *progress) draw(final bool) {
	fmt.Fprint(p.w, p.line(final, time.Since(p.start)))
}

// line is the bar after elapsed time, with "\r" and padding over the
// previous one on a terminal.
func (p *progress) line(final bool, elapsed time.Duration) string {
	const width = 20
	filled := 0
	if p.total > 0 {
		filled = width * p.done / p.total
	}
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(p.done) / s
	}
	s := fmt.Sprintf("[%s%s] %d/%d  %.1f img/s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.done, p.total, rate)
	switch {
	case final:
		s += "  " + elapsed.Round(10*time.Millisecond).String()
	case rate > 0:
		eta := time.Duration(float64(p.total-p.done) / rate * float64(time.Second))
		s += "  ETA " + eta.Round(time.Second).String()
	}
	if !p.tty {
		return s
	}
	n := len(s)
	if pad := p.lastLen - n; pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	p.lastLen = n
	return "\r" + s
}
