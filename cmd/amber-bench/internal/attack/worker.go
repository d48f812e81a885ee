package attack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
)

// The attack runs in a child process of amber-bench (the same binary,
// re-executed with workerEnv set): the polite clients measure amberd, not
// the Go scheduler and the garbage collector they would share with the
// attackers in one process.
const workerEnv = "AMBER_BENCH_ATTACK_WORKER"

// workerArgs is what the parent passes to the child (as JSON in
// workerEnv).
type workerArgs struct {
	Attack string `json:"attack"`
	Addr   string `json:"addr"`
	N      int    `json:"n"`
	Same   bool   `json:"same"`
	// Low puts the child at the lowest CPU priority (lowerSelf).
	Low bool `json:"low"`
}

// MaybeWorker runs the attack child when this process is one and exits;
// main calls it first. It returns in every other process.
func MaybeWorker() {
	spec := os.Getenv(workerEnv)
	if spec == "" {
		return
	}
	var w workerArgs
	if json.Unmarshal([]byte(spec), &w) == nil && w.Low {
		if note := lowerSelf(); note != "nice 19, SCHED_IDLE" {
			fmt.Fprintln(os.Stderr, "amber-bench attack worker: priority", note)
		}
	}
	if err := worker(spec, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "amber-bench attack worker:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// worker attacks until stop is closed (or reaches EOF), then writes the
// attacker's Outcome as JSON to out.
func worker(spec string, stop io.Reader, out io.Writer) error {
	var w workerArgs
	if err := json.Unmarshal([]byte(spec), &w); err != nil {
		return err
	}
	i := slices.IndexFunc(shapes, func(s shape) bool { return s.name == w.Attack })
	if i < 0 {
		return fmt.Errorf("unknown attack %q", w.Attack)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { io.Copy(io.Discard, stop); cancel() }()
	o := &Outcome{}
	shapes[i].run(ctx, &attacker{addr: w.Addr, n: w.N, same: w.Same, out: o})
	cancel()
	return json.NewEncoder(out).Encode(o)
}

// child is a running attack process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   []byte
	done  chan error
}

// startChild starts the attack w in a child process.
func startChild(ctx context.Context, w workerArgs) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	spec, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), workerEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, stdin: stdin, done: make(chan error, 1)}
	go func() {
		b, rerr := io.ReadAll(stdout)
		c.out = b
		werr := cmd.Wait()
		if werr == nil {
			werr = rerr
		}
		c.done <- werr
	}()
	return c, nil
}

// stop ends the attack and returns the child's Outcome.
func (c *child) stop() (*Outcome, error) {
	c.stdin.Close()
	if err := <-c.done; err != nil {
		return nil, fmt.Errorf("attack process: %w", err)
	}
	o := &Outcome{}
	if err := json.Unmarshal(c.out, o); err != nil {
		return nil, fmt.Errorf("attack process output %q: %w", c.out, err)
	}
	return o, nil
}
