package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// runLocalCluster starts a development cluster of `nodes` members on
// 127.0.0.1 as child processes and stops them all on SIGINT/SIGTERM.
func runLocalCluster(args []string) error {
	fs := flag.NewFlagSet("local-cluster", flag.ContinueOnError)
	nodes := fs.Int("nodes", 3, "number of members")
	port := fs.Int("port", 7001, "client port of member 1; member i listens on port+i-1")
	raftPort := fs.Int("raft-port", 0, "Raft port of member 1 (0: client port + 10000)")
	dir := fs.String("dir", "./cluster", "parent directory of the members' data directories and logs")
	regions := fs.Int("regions", 16, "Regions of a new cluster")
	extra := fs.String("server-args", "", "extra flags passed to every member, space separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *nodes < 1 {
		return fmt.Errorf("--nodes must be at least 1")
	}
	if *raftPort == 0 {
		*raftPort = *port + 10000
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	var members []string
	for i := 1; i <= *nodes; i++ {
		members = append(members, fmt.Sprintf("%d=127.0.0.1:%d", i, *raftPort+i-1))
	}
	initial := strings.Join(members, ",")
	// The members share this machine's cores: size each one's event loops
	// and apply workers to its share (measured with three stores on two
	// cores: SET -P1 +25-50 %, -P16 +13 % over one of each per CPU;
	// bench/RESULTS.md). --server-args may override.
	share := fmt.Sprint(max(1, runtime.NumCPU() / *nodes))
	var procs []*exec.Cmd
	var dones []chan struct{}
	exited := make(chan int, *nodes)
	stopAll := func() {
		for _, p := range procs {
			_ = p.Process.Signal(syscall.SIGTERM)
		}
		for i, p := range procs {
			select {
			case <-dones[i]:
			case <-time.After(15 * time.Second):
				_ = p.Process.Kill()
				<-dones[i]
			}
		}
	}
	for i := 1; i <= *nodes; i++ {
		logPath := filepath.Join(*dir, fmt.Sprintf("n%d.log", i))
		logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			stopAll()
			return err
		}
		a := []string{"server", "--node-id", fmt.Sprint(i),
			"--addr", fmt.Sprintf("127.0.0.1:%d", *port+i-1),
			"--raft-addr", fmt.Sprintf("127.0.0.1:%d", *raftPort+i-1),
			"--dir", filepath.Join(*dir, fmt.Sprintf("n%d", i)),
			"--initial-cluster", initial, "--regions", fmt.Sprint(*regions),
			"--event-loops", share, "--apply-workers", share}
		a = append(a, strings.Fields(*extra)...)
		cmd := exec.Command(self, a...)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			stopAll()
			return err
		}
		procs = append(procs, cmd)
		done := make(chan struct{})
		dones = append(dones, done)
		go func(i int, cmd *exec.Cmd) {
			_ = cmd.Wait()
			close(done)
			exited <- i
		}(i, cmd)
		fmt.Printf("member %d: redis-cli -p %d   (raft 127.0.0.1:%d, pid %d, log %s)\n", i, *port+i-1, *raftPort+i-1, cmd.Process.Pid, logPath)
	}
	fmt.Printf("cluster of %d members; redis-cli -c -p %d; Ctrl-C stops all\n", *nodes, *port)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	// A member that exits (or is killed to try a failover) is reported; the
	// others keep running until Ctrl-C.
	left := len(procs)
	for left > 0 {
		select {
		case <-sig:
			fmt.Println("stopping members")
			stopAll()
			return nil
		case n := <-exited:
			left--
			fmt.Printf("member %d exited\n", n+1)
		}
	}
	return nil
}
