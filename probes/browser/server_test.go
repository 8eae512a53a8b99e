package browser

import (
	"fmt"
	"html"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/sloagent/sloagent/internal/testutil"
)

// site is the web site the tests' journeys run against, on 127.0.0.1.
type site struct {
	*httptest.Server
	slow    chan struct{} // receives one value per /slow request that arrived
	release chan struct{} // closed at cleanup to end /slow requests
	cached  atomic.Int64  // requests for /cached.png, which may be cached for an hour
}

const loginPage = `<!doctype html><html><head><title>Login</title></head><body>
<form id="form">
  <input id="user" name="user"> <input id="pass" name="pass" type="password">
  <select id="lang"><option value="en">English</option><option value="de">Deutsch</option></select>
  <button id="submit" type="submit">Sign in</button>
</form>
<div id="spinner" style="display:none">checking…</div>
<p id="error"></p>
<script>
document.getElementById('form').addEventListener('submit', ev => {
  ev.preventDefault();
  const user = document.getElementById('user').value, pass = document.getElementById('pass').value;
  const lang = document.getElementById('lang').value;
  document.getElementById('spinner').style.display = 'block';
  setTimeout(() => {
    document.getElementById('spinner').style.display = 'none';
    if (pass === 's3cret') location.href = '/home?user=' + encodeURIComponent(user) + '&lang=' + lang;
    else document.getElementById('error').textContent = 'Wrong password';
  }, 150);
});
</script></body></html>`

const homePage = `<!doctype html><html><body><h1 id="greeting"></h1>
<script>
const q = new URLSearchParams(location.search);
setTimeout(() => {
  document.getElementById('greeting').textContent =
    (q.get('lang') === 'de' ? 'Willkommen, ' : 'Welcome, ') + q.get('user');
}, 200);
</script></body></html>`

// troublePage logs an error, throws, loads a missing image and fetches from
// a closed port: two console errors and two failed requests.
const troublePage = `<!doctype html><html><body><p id="done">x</p>
<img src="/missing.png">
<script>
console.error('something broke', 42);
fetch('http://127.0.0.1:%d/nothing').catch(() => {});
setTimeout(() => { throw new Error('uncaught boom'); }, 0);
</script></body></html>`

// lcpPage paints a small text first and a much larger block 600ms after
// that first frame, which becomes the largest contentful paint.
const lcpPage = `<!doctype html><html><body><p style="font-size:10px">.</p>
<script>
requestAnimationFrame(() => setTimeout(() => {
  const p = document.createElement('p');
  p.id = 'big';
  p.style.fontSize = '64px';
  p.textContent = 'The largest contentful paint of this page appears late. '.repeat(4);
  document.body.appendChild(p);
}, 600));
</script></body></html>`

// interactPage has a button whose handler blocks the page for 150ms, so
// the interaction's next paint comes at least that late.
const interactPage = `<!doctype html><html><body><button id="slow" style="font-size:30px">Go</button><p id="out"></p>
<script>
document.getElementById('slow').addEventListener('click', () => {
  const end = performance.now() + 150;
  while (performance.now() < end) {}
  document.getElementById('out').textContent = 'clicked';
});
</script></body></html>`

// keysPage searches on Enter in #q and closes its modal on Escape.
const keysPage = `<!doctype html><html><body>
<input id="q"><p id="out"></p>
<div id="modal" style="position:fixed;top:40px;left:40px;width:200px;height:100px;background:#eee">a modal</div>
<script>
document.getElementById('q').addEventListener('keydown', e => {
  if (e.key === 'Enter') document.getElementById('out').textContent = 'searched: ' + e.target.value;
});
document.addEventListener('keydown', e => {
  if (e.key === 'Escape') document.getElementById('modal').style.display = 'none';
});
</script></body></html>`

// hoverPage shows a submenu while the mouse is over its menu.
const hoverPage = `<!doctype html><html><head><style>
#submenu { display: none } #menu:hover #submenu { display: block }
</style></head><body><div style="height:1500px">tall</div>
<div id="menu" style="width:200px;padding:10px;background:#ddd">Menu<ul id="submenu"><li>Orders</li></ul></div>
</body></html>`

// uploadPage shows the name and text of the chosen file.
const uploadPage = `<!doctype html><html><body>
<label>File <input id="f" type="file" style="opacity:0;width:1px"></label><p id="out"></p>
<script>
document.getElementById('f').addEventListener('change', e => {
  const f = e.target.files[0];
  f.text().then(t => { document.getElementById('out').textContent = f.name + ': ' + t.trim(); });
});
</script></body></html>`

// echoPage shows the cookie and header the request carried.
func echoPage(w http.ResponseWriter, r *http.Request) {
	session := "none"
	if c, err := r.Cookie("session"); err == nil {
		session = c.Value
	}
	fmt.Fprintf(w, `<!doctype html><html><body><p id="cookie">cookie %s</p><p id="header">header %s</p></body></html>`,
		html.EscapeString(session), html.EscapeString(r.Header.Get("X-Probe")))
}

// cookiePage shows whether the browser sent a cookie, and sets one.
func cookiePage(w http.ResponseWriter, r *http.Request) {
	seen := "no cookie"
	if c, err := r.Cookie("visited"); err == nil {
		seen = "cookie " + c.Value
	}
	http.SetCookie(w, &http.Cookie{Name: "visited", Value: "yes", MaxAge: 3600})
	fmt.Fprintf(w, `<!doctype html><html><body><p id="seen">%s</p></body></html>`, seen)
}

func newSite(t testing.TB) *site {
	s := &site{slow: make(chan struct{}, 64), release: make(chan struct{})}
	mux := http.NewServeMux()
	html := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, body)
		}
	}
	mux.HandleFunc("/login", html(loginPage))
	mux.HandleFunc("/home", html(homePage))
	mux.HandleFunc("/trouble", html(fmt.Sprintf(troublePage, testutil.FreePort(t))))
	mux.HandleFunc("/lcp", html(lcpPage))
	mux.HandleFunc("/interact", html(interactPage))
	mux.HandleFunc("/plain", html(`<!doctype html><html><body><p id="ok">all good</p></body></html>`))
	mux.HandleFunc("/cookie", cookiePage)
	mux.HandleFunc("/blank", html(`<!doctype html><html><body></body></html>`))
	mux.HandleFunc("/keys", html(keysPage))
	mux.HandleFunc("/hover", html(hoverPage))
	mux.HandleFunc("/upload", html(uploadPage))
	mux.HandleFunc("/echo", echoPage)
	// /later moves on to /plain?arrived by itself, as a login redirect might.
	mux.HandleFunc("/later", html(`<!doctype html><html><body><p>wait</p><script>setTimeout(() => { location.href = '/plain?arrived'; }, 300);</script></body></html>`))
	// /busy has a button whose click handler keeps the page busy for 4s.
	mux.HandleFunc("/busy", html(`<!doctype html><html><body><button id="b" style="font-size:30px">Busy</button>
<script>document.getElementById('b').addEventListener('click', () => { const end = performance.now() + 4000; while (performance.now() < end) {} });</script></body></html>`))
	mux.HandleFunc("/cachepage", html(`<!doctype html><html><body><img id="img" src="/cached.png"></body></html>`))
	mux.HandleFunc("/cached.png", func(w http.ResponseWriter, r *http.Request) {
		s.cached.Add(1)
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Content-Type", "image/png")
		png.Encode(w, image.NewGray(image.Rect(0, 0, 20, 20)))
	})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "internal trouble", http.StatusInternalServerError)
	})
	// /hang never finishes loading: its image never arrives.
	mux.HandleFunc("/hang", html(`<!doctype html><html><body><p id="ok">loading</p><img src="/slow"></body></html>`))
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.slow <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-s.release:
		}
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(func() {
		close(s.release)
		s.Close()
	})
	return s
}
