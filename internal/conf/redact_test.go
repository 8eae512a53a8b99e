package conf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestSensitiveName(t *testing.T) {
	for name, want := range map[string]bool{
		"Authorization": true, "X-Client-Credential": true, "X-API-Key": true, "api_key": true,
		"access_token": true, "X-Amz-Signature": true, "sig": true, "Cookie": true, "session_id": true,
		"password": true, "passwd": true, "pwd": true, "client_secret": true, "private": true,
		"Content-Type": false, "User-Agent": false, "page": false, "name": false, "target": false,
		"signal": false, "timeout": false, "host": false,
	} {
		if got := SensitiveName(name); got != want {
			t.Errorf("SensitiveName(%q) = %v", name, got)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://user:pw@host:8080/x?token=abc&page=2#frag":                                          "http://user:<secret>@host:8080/x?token=<secret>&page=2#frag",
		"https://ghp_abcdef@github.com/org/repo":                                                    "https://<secret>@github.com/org/repo",
		"redis://:hunter2@127.0.0.1:6379/0":                                                         "redis://:<secret>@127.0.0.1:6379/0",
		"https://s3.example.com/b/k?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=abc&X-Amz-Expires=60": "https://s3.example.com/b/k?X-Amz-Credential=<secret>&X-Amz-Signature=<secret>&X-Amz-Expires=60",
		"https://shop.example.com/health":                                                           "https://shop.example.com/health",
		"https://shop.example.com/?page=1":                                                          "https://shop.example.com/?page=1",
		"127.0.0.1:6379":                                                                            "127.0.0.1:6379",
		"not a url ?token=x":                                                                        "not a url ?token=x",
		"http://user@host/":                                                                         "http://<secret>@host/",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

func TestURLNeverPrints(t *testing.T) {
	u := URL("https://probe:s3cr3t-pw@shop.example.com/?api_key=k3y-value")
	want := "https://probe:<secret>@shop.example.com/?api_key=<secret>"
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "url", u)
	b, _ := json.Marshal(u)
	var j string
	_ = json.Unmarshal(b, &j)
	y, _ := yaml.Marshal(map[string]URL{"u": u})
	for _, s := range []string{fmt.Sprint(u), fmt.Sprintf("%s %v %q", u, u, u), logs.String(), j, string(y)} {
		if strings.Contains(s, "s3cr3t") || strings.Contains(s, "k3y-value") || !strings.Contains(s, want) {
			t.Errorf("printed %q", s)
		}
	}
	if u.Reveal() != string(u) {
		t.Error("Reveal")
	}
}

// secretConfig has a field for every way a secret gets into a config.
type secretConfig struct {
	Target   string            `yaml:"target"`
	Proxy    string            `yaml:"proxy"`
	Password Secret            `yaml:"password"`
	TokFile  string            `yaml:"bearer_token_file"`
	Headers  map[string]string `yaml:"headers"`
	Env      map[string]Secret `yaml:"env"`
	Args     []string          `yaml:"args"`
	Body     string            `yaml:"body"`
	Settings map[string]any    `yaml:"settings"`
	Port     string            `yaml:"port"`
	Timeout  Duration          `yaml:"timeout"`
}

// Every kind of secret is hidden from /config, from free text and from
// the log: inline, from ${VAR}, from a *_file, in a URL's userinfo or
// query, under a header or settings key the old keyword list missed.
func TestRedactor(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("file-token-6d1e\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ARG_SECRET": "env-arg-77c2", "BODY_SECRET": "env-body-19ab", "PORT": "8080",
		"PLUGIN_SECRET": "env-plugin-3f0d", "TIMEOUT": "5s"}
	data := []byte(`target: https://probe:userinfo-pw-41f@shop.example.com/health?access_token=query-tok-8e2&page=2
proxy: http://proxyuser:proxy-pw-0c9@127.0.0.1:3128
password: inline-pw-55aa
bearer_token_file: ` + tokenFile + `
headers: {X-Client-Credential: header-cred-7b3, Accept: text/html}
env: {API_TOKEN: inline-env-secret-2d4}
args: ["--token", "${ARG_SECRET}", "--port", "${PORT}"]
body: '{"key": "${BODY_SECRET}"}'
settings: {api_key: settings-key-9c1, nested: {plain: "${PLUGIN_SECRET}"}, url: "http://u:settings-url-pw-5e@h/"}
port: ${PORT}
timeout: ${TIMEOUT}
`)
	secrets := []string{"userinfo-pw-41f", "query-tok-8e2", "proxy-pw-0c9", "inline-pw-55aa", "file-token-6d1e",
		"header-cred-7b3", "inline-env-secret-2d4", "env-arg-77c2", "env-body-19ab", "settings-key-9c1",
		"env-plugin-3f0d", "settings-url-pw-5e"}
	var c secretConfig
	doc, ps := Decode("s.yml", data, &c, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if len(ps) > 0 {
		t.Fatal(doc.Err(ps))
	}
	r := doc.Redactor()

	var n yaml.Node
	if err := n.Encode(c); err != nil {
		t.Fatal(err)
	}
	r.Node(&n)
	out, err := yaml.Marshal(&n)
	if err != nil {
		t.Fatal(err)
	}
	shown := string(out)
	for _, s := range secrets {
		if strings.Contains(shown, s) {
			t.Errorf("/config shows %q:\n%s", s, shown)
		}
	}
	// What the environment gave is hidden by its field in /config,
	// however short; what is not a secret stays.
	for _, want := range []string{"port: <secret>", `- --port`, "- <secret>", "Accept: text/html", "page=2",
		"https://probe:<secret>@shop.example.com/health?access_token=<secret>&page=2", "timeout: <secret>",
		`'{"key": "<secret>"}'`} {
		if !strings.Contains(shown, want) {
			t.Errorf("/config lacks %q:\n%s", want, shown)
		}
	}

	text := "GET " + c.Target + " via " + c.Proxy + " with " + strings.Join(c.Args, " ") + " body " + c.Body +
		" Authorization: Bearer file-token-6d1e; X-Client-Credential: header-cred-7b3; " + c.Password.Reveal() +
		" " + c.Env["API_TOKEN"].Reveal() + " settings-key-9c1 env-plugin-3f0d http://u:settings-url-pw-5e@h/"
	red := r.String(text)
	for _, s := range secrets {
		if strings.Contains(red, s) {
			t.Errorf("free text keeps %q: %s", s, red)
		}
	}
	// Ports and such in free text are left alone: too short to hide.
	if !strings.Contains(red, "--port 8080") {
		t.Errorf("free text lost a port: %s", red)
	}

	var logs bytes.Buffer
	log := slog.New(Handler(slog.NewTextHandler(&logs, nil), func() *Redactor { return r }))
	log.With("target", c.Target).Info("probe failed: "+text, "error", fmt.Errorf("dial %s: refused", c.Target),
		slog.Group("req", "body", c.Body, "args", c.Args))
	for _, s := range secrets {
		if strings.Contains(logs.String(), s) {
			t.Errorf("log keeps %q: %s", s, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "msg=\"probe failed: GET https://probe:<secret>@shop") {
		t.Errorf("log: %s", logs.String())
	}

	var nilR *Redactor
	if got := nilR.String("x"); got != "x" {
		t.Errorf("nil redactor: %q", got)
	}
}

// A variable the agent sets itself (its listen address) holds no secret.
func TestRedactorPublic(t *testing.T) {
	var c secretConfig
	env := map[string]string{"ADDR": "127.0.0.1:9470", "TOKEN": "env-token-8f1d"}
	doc, ps := Decode("p.yml", []byte("target: http://${ADDR}/metrics?token=${TOKEN}\n"), &c,
		func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if len(ps) > 0 {
		t.Fatal(doc.Err(ps))
	}
	doc.Public("ADDR")
	r := doc.Redactor()
	var n yaml.Node
	if err := n.Encode(c); err != nil {
		t.Fatal(err)
	}
	r.Node(&n)
	out, _ := yaml.Marshal(&n)
	if got, want := string(out), "target: http://127.0.0.1:9470/metrics?token=<secret>\n"; !strings.Contains(got, want) {
		t.Errorf("/config: %q, want %q", got, want)
	}
	if got := r.String("listening on 127.0.0.1:9470 with env-token-8f1d"); got != "listening on 127.0.0.1:9470 with <secret>" {
		t.Errorf("free text: %q", got)
	}
}

// A short secret is taken out of free text where it stands as a word, not
// out of the middle of other words: a plugin's env value "exit" must not
// make "exited" read "<secret>ed" in every message.
func TestRedactorShortSecrets(t *testing.T) {
	var c secretConfig
	doc, ps := Decode("s.yml", []byte("env: {MODE: exit, PIN: 4711x}\nargs: [\"${ARG}\"]\n"), &c,
		func(k string) (string, bool) { return "abc123", k == "ARG" })
	if len(ps) > 0 {
		t.Fatal(doc.Err(ps))
	}
	r := doc.Redactor()
	for in, want := range map[string]string{
		`plugin "exits" exited, mode exit`:   `plugin "exits" exited, mode <secret>`,
		"exit":                               "<secret>",
		"pin 4711x; 4711xy; x4711x; =4711x&": "pin <secret>; 4711xy; x4711x; =<secret>&",
		"arg abc123, abc1234, (abc123)":      "arg <secret>, abc1234, (<secret>)",
		"nothing secret here":                "nothing secret here",
	} {
		if got := r.String(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

// A logger made before a reload (logger.With) hides the secrets of the
// config in force when it writes, not of the one it was made under, in
// its attributes and its groups'.
func TestHandlerRedactsWithTheCurrentConfig(t *testing.T) {
	var c secretConfig
	doc, ps := Decode("r.yml", []byte("target: http://probe:${PW}@shop.example.com/\n"), &c,
		func(k string) (string, bool) { return "reloaded-pw-41c9", k == "PW" })
	if len(ps) > 0 {
		t.Fatal(doc.Err(ps))
	}
	var current atomic.Pointer[Redactor]
	var logs bytes.Buffer
	log := slog.New(Handler(slog.NewTextHandler(&logs, nil), current.Load)).
		With("target", "http://shop.example.com/?pw=reloaded-pw-41c9").
		WithGroup("run").With("arg", "reloaded-pw-41c9")
	log.Info("before")
	if !strings.Contains(logs.String(), "reloaded-pw-41c9") {
		t.Fatalf("no secret to hide before the reload: %s", logs.String())
	}
	logs.Reset()
	current.Store(doc.Redactor())
	log.Info("after", "error", "dial reloaded-pw-41c9")
	if strings.Contains(logs.String(), "reloaded-pw-41c9") || strings.Count(logs.String(), Redacted) != 3 {
		t.Errorf("after the reload: %s", logs.String())
	}
}
