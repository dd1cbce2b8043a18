package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/neokv/neokv/meta"
	"github.com/neokv/neokv/resp"
)

// runCtl is `neokv ctl --addr HOST:PORT status|regions|stores`: the cluster
// as the MetaServer leader sees it, asked through any node.
func runCtl(args []string) error {
	fs := flag.NewFlagSet("ctl", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:6379", "any node's client address")
	password := fs.String("a", "", "password (AUTH)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	what := "status"
	if fs.NArg() > 0 {
		what = fs.Arg(0)
	}
	raw, err := ctlCall(*addr, *password, "neokv", "meta")
	if err != nil {
		return err
	}
	var v meta.View
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("MetaServer view: %w", err)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
	defer w.Flush()
	switch what {
	case "stores":
		fmt.Fprintln(w, "STORE\tSTATE\tADDRESS\tRAFT\tREGIONS\tLEADERS\tLAST HEARTBEAT\tNODE ID")
		for _, s := range v.Stores {
			state := "down"
			if s.Up {
				state = "up"
			}
			seen := "never"
			if !s.LastSeen.IsZero() {
				seen = time.Since(s.LastSeen).Round(time.Millisecond).String() + " ago"
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", s.ID, state, s.ClientAddr, s.RaftAddr, s.Replicas, s.Leaders, seen, s.NodeID)
		}
	case "regions":
		fmt.Fprintln(w, "REGION\tSLOTS\tEPOCH\tLEADER\tREPLICAS\tTERM\tCOMMIT\tAPPLIED")
		for _, r := range v.Regions {
			var reps []string
			for _, s := range r.Stores {
				reps = append(reps, strconv.FormatUint(s, 10))
			}
			fmt.Fprintf(w, "%d\t%d-%d\t%d/%d\tstore %d\t%s\t%d\t%d\t%d\n", r.ID, r.StartSlot, r.EndSlot, r.ConfVer, r.Version,
				r.LeaderStore, strings.Join(reps, ","), r.Term, r.Commit, r.Applied)
		}
	case "status":
		up := 0
		for _, s := range v.Stores {
			if s.Up {
				up++
			}
		}
		led := len(v.Regions)
		fmt.Fprintf(w, "MetaServer leader:\tstore %d\n", v.Leader)
		fmt.Fprintf(w, "stores:\t%d up of %d\n", up, len(v.Stores))
		fmt.Fprintf(w, "regions:\t%d known, %d with a leader reporting\n", len(v.Known), led)
		for _, s := range v.Stores {
			fmt.Fprintf(w, "  store %d\t%s\tleads %d\n", s.ID, s.ClientAddr, s.Leaders)
		}
	default:
		return fmt.Errorf("unknown ctl command %q (status, regions, stores)", what)
	}
	return nil
}

// ctlCall sends one command and returns a bulk reply's bytes.
func ctlCall(addr, password string, args ...string) ([]byte, error) {
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	var req []byte
	enc := func(a ...string) {
		var argv [][]byte
		for _, s := range a {
			argv = append(argv, []byte(s))
		}
		req = append(req, '*')
		req = strconv.AppendInt(req, int64(len(argv)), 10)
		req = append(req, '\r', '\n')
		for _, x := range argv {
			req = append(req, '$')
			req = strconv.AppendInt(req, int64(len(x)), 10)
			req = append(req, '\r', '\n')
			req = append(req, x...)
			req = append(req, '\r', '\n')
		}
	}
	n := 1
	if password != "" {
		enc("AUTH", password)
		n++
	}
	enc(args...)
	if _, err := c.Write(req); err != nil {
		return nil, err
	}
	r := bufio.NewReader(c)
	var buf []byte
	var last []byte
	for n > 0 {
		m, err := resp.ReplyLen(buf)
		if err != nil {
			return nil, err
		}
		if m == 0 {
			chunk := make([]byte, 64<<10)
			k, err := r.Read(chunk)
			if err != nil {
				return nil, err
			}
			buf = append(buf, chunk[:k]...)
			continue
		}
		last = buf[:m]
		buf = buf[m:]
		n--
		if len(last) > 0 && last[0] == '-' {
			return nil, errors.New(strings.TrimSpace(string(last[1:])))
		}
	}
	if len(last) == 0 || last[0] != '$' {
		return nil, fmt.Errorf("unexpected reply %q", last)
	}
	i := strings.IndexByte(string(last), '\n')
	return last[i+1 : len(last)-2], nil
}
