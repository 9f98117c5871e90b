// Command ferretdb-launcher runs an embedded FerretDB for the tenantadm test suite,
// demo and benchmarks: on its SQLite backend (--sqlite-dir, what the tests use) or on
// its PostgreSQL backend (--postgresql-url, a server the caller runs). The upstream `go install` binary panics at start
// (FerretDB#2982: version.txt is not in the module zip); the embeddable package works.
//
// It prints the MongoDB URI on stdout once the listener is ready, then serves
// until SIGINT/SIGTERM or until its stdin closes (so it never outlives its parent).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	addr := flag.String("listen-addr", "127.0.0.1:0", "TCP address to listen on (port 0 picks a free one)")
	dir := flag.String("sqlite-dir", "", "directory for the SQLite databases (created if missing)")
	pgURL := flag.String("postgresql-url", "", "PostgreSQL connection string (PostgreSQL backend instead of SQLite)")
	logLevel := flag.String("log-level", "error", "debug, info, warn or error")
	watchStdin := flag.Bool("exit-on-stdin-eof", false, "stop when standard input closes")
	flag.Parse()

	if (*dir == "") == (*pgURL == "") {
		fmt.Fprintln(os.Stderr, "ferretdb-launcher: exactly one of --sqlite-dir and --postgresql-url is required")
		os.Exit(2)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-launcher: bad --log-level:", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	config := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *addr},
		Logger:   logger,
	}
	if *pgURL != "" {
		config.Handler = "postgresql"
		config.PostgreSQLURL = *pgURL
	} else {
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "ferretdb-launcher:", err)
			os.Exit(1)
		}
		config.Handler = "sqlite"
		config.SQLiteURL = "file:" + *dir
		if config.SQLiteURL[len(config.SQLiteURL)-1] != '/' {
			config.SQLiteURL += "/"
		}
	}

	f, err := ferretdb.New(config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-launcher:", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}

	done := make(chan struct{})
	go func() {
		_ = f.Run(ctx)
		close(done)
	}()

	// MongoDBURI waits for the listener, so printing it doubles as the readiness signal.
	fmt.Println(f.MongoDBURI())

	<-done
}
