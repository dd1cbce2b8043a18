// Command neokv is NeoKV's single binary: the server, the load generator
// and the admin tool.
//
//	neokv server [flags]   run a store (embedded single-node default)
//	neokv bench [flags]    the built-in load generator
//
// Departure from DESIGN.md: a new single-node store has one Region unless
// --regions says otherwise (see defaultRegions), so that multi-key commands
// work on any keys there, as on a standalone redis-server.
package main

import (
	"fmt"
	"os"
)

// version is NeoKV's version, reported by INFO.
const version = "0.1.0"

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "server":
		err = runServer(os.Args[2:])
	case "bench":
		err = runBench(os.Args[2:])
	case "local-cluster":
		err = runLocalCluster(os.Args[2:])
	case "ctl":
		err = runCtl(os.Args[2:])
	case "version", "--version", "-v":
		fmt.Println("neokv", version)
	case "help", "-h", "--help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "neokv: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "neokv:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage: neokv <command> [flags]

commands:
  server   run a NeoKV server (default: single node on 127.0.0.1:6379, data in ./data)
  local-cluster  start a development cluster on 127.0.0.1 (members as child processes)
  ctl      show the cluster: neokv ctl --addr HOST:PORT status|regions|stores
  bench    run the built-in load generator against a Redis-protocol server
  version  print the version

Run 'neokv <command> -h' for the flags of a command.
`)
}
