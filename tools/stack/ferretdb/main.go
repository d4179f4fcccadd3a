// Command ferretdb runs an embedded FerretDB (MongoDB wire protocol) with the
// SQLite backend for Switchboard's local stack.
//
// It embeds github.com/FerretDB/FerretDB/ferretdb instead of building upstream
// cmd/ferretdb, because the upstream command requires generated build files
// (version.txt) that are absent from the published module.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}

func run() error {
	listenAddr := flag.String("listen-addr", envOr("FERRETDB_LISTEN_ADDR", "127.0.0.1:27117"),
		"TCP address to listen on (env FERRETDB_LISTEN_ADDR)")
	dataDir := flag.String("data-dir", envOr("FERRETDB_DATA_DIR", ""),
		"directory for the SQLite databases (env FERRETDB_DATA_DIR)")
	logLevel := flag.String("log-level", envOr("FERRETDB_LOG_LEVEL", "info"),
		"debug, info, warn or error (env FERRETDB_LOG_LEVEL)")
	flag.Parse()

	if *dataDir == "" {
		return errors.New("--data-dir (or FERRETDB_DATA_DIR) is required")
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("invalid --log-level %q: %w", *logLevel, err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	absDataDir, err := filepath.Abs(*dataDir)
	if err != nil {
		return fmt.Errorf("resolving data dir: %w", err)
	}
	// The SQLite backend refuses a directory that does not exist yet.
	if err = os.MkdirAll(absDataDir, 0o755); err != nil {
		return fmt.Errorf("creating data dir: %w", err)
	}
	// Building the URI with net/url escapes unusual characters in the path;
	// the trailing slash is required by the backend (it names a directory).
	sqliteURL := (&url.URL{Scheme: "file", Path: absDataDir + "/"}).String()

	// SIGTERM/SIGINT cancel the context so that FerretDB closes its listener
	// and SQLite databases cleanly before the process exits.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	db, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listenAddr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	if err != nil {
		return err
	}

	logger.Info("FerretDB starting", slog.String("listen", *listenAddr), slog.String("sqlite", sqliteURL))

	if err = db.Run(ctx); err != nil {
		return err
	}

	logger.Info("FerretDB stopped")

	return nil
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}

	return fallback
}
