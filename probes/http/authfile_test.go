package http

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// Credentials in files are read again at every run: a rotated token is
// used by the next run without a reload, and one that went missing fails
// the run with a config reason, not the agent.
func TestCredentialFilesReadEveryRun(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	userFile := filepath.Join(dir, "user")
	write := func(f, s string) {
		t.Helper()
		if err := os.WriteFile(f, []byte(s+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(file, "first")
	write(userFile, "alice")
	for _, tc := range []struct {
		config, first, second string
	}{
		{"bearer_token_file: " + file, "Bearer first", "Bearer second"},
		{"authorization: {type: Token, credentials_file: " + file + "}", "Token first", "Token second"},
		{"basic_auth: {username: bob, password_file: " + file + "}", "Basic Ym9iOmZpcnN0", "Basic Ym9iOnNlY29uZA=="},                       // bob:first, bob:second
		{"basic_auth: {username_file: " + userFile + ", password_file: " + file + "}", "Basic YWxpY2U6Zmlyc3Q=", "Basic YWxpY2U6c2Vjb25k"}, // alice:first, alice:second
	} {
		t.Run(tc.config, func(t *testing.T) {
			write(file, "first")
			var want string
			srv := server(t, func(w http.ResponseWriter, r *http.Request) {
				if got := r.Header.Get("Authorization"); got != want {
					http.Error(w, "got "+got, http.StatusUnauthorized)
				}
			})
			p := newProber(t, srv.URL, probetest.Section[Config](t, tc.config))
			want = tc.first
			probetest.WantSuccess(t, probetest.Run(t, p, 5*time.Second))
			write(file, "second")
			want = tc.second
			probetest.WantSuccess(t, probetest.Run(t, p, 5*time.Second))
			if err := os.Remove(file); err != nil {
				t.Fatal(err)
			}
			probetest.WantFail(t, probetest.Run(t, p, 5*time.Second), probes.ReasonConfig, "reading credentials")
		})
	}
}
