package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
)

// browserSite is the local web application the browser figure's journey
// runs through: a login form, a dashboard with a style sheet, a script and
// images, and an item page, all on 127.0.0.1. It counts finished journeys
// (item pages served).
type browserSite struct {
	srv   *http.Server
	ln    net.Listener
	base  string
	items atomic.Int64
}

const siteLogin = `<!doctype html><html><head><title>Shop</title><link rel="stylesheet" href="/static/site.css"></head>
<body><header><h1>Shop</h1></header><main>
<form id="login" action="/app" method="get">
  <label>User <input id="user" name="user" autocomplete="off"></label>
  <label>Password <input id="pass" name="pass" type="password"></label>
  <button id="submit" type="submit">Sign in</button>
</form></main><script src="/static/app.js"></script></body></html>`

const siteCSS = `body{font-family:sans-serif;margin:0}header{background:#234;color:#fff;padding:8px 16px}
main{padding:16px;display:grid;grid-template-columns:repeat(3,1fr);gap:12px}
.card{border:1px solid #ccc;border-radius:6px;padding:8px}.card img{width:100%;height:auto}`

// siteJS builds part of the dashboard as a single-page application would.
const siteJS = `document.addEventListener('DOMContentLoaded', () => {
  const list = document.getElementById('items');
  if (!list) return;
  fetch('/api/items').then(r => r.json()).then(items => {
    for (const it of items) {
      const d = document.createElement('div');
      d.className = 'card';
      d.innerHTML = '<img src="/static/' + (it.id % 3) + '.png" alt=""><a href="/item/' + it.id + '">' + it.name + '</a><p>' + it.price + '</p>';
      list.appendChild(d);
    }
    list.hidden = false;
  });
});`

func newBrowserSite() (*browserSite, error) {
	s := &browserSite{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.ln, s.base = ln, "http://"+ln.Addr().String()
	var pngs [3][]byte
	for i := range pngs {
		img := image.NewRGBA(image.Rect(0, 0, 240, 160))
		for y := 0; y < 160; y++ {
			for x := 0; x < 240; x++ {
				img.Set(x, y, color.RGBA{uint8(x + 60*i), uint8(y), uint8(90 * i), 255})
			}
		}
		var sb strings.Builder
		_ = png.Encode(&sb, img)
		pngs[i] = []byte(sb.String())
	}
	mux := http.NewServeMux()
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, body)
		}
	}
	mux.HandleFunc("GET /login", page(siteLogin))
	mux.HandleFunc("GET /app", page(`<!doctype html><html><head><title>Dashboard</title><link rel="stylesheet" href="/static/site.css"></head>
<body><header><h1>Dashboard</h1></header><main id="items" hidden></main><script src="/static/app.js"></script></body></html>`))
	mux.HandleFunc("GET /item/{id}", func(w http.ResponseWriter, r *http.Request) {
		s.items.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Item</title><link rel="stylesheet" href="/static/site.css"></head>
<body><header><h1>Item %s</h1></header><main><div class="card"><img src="/static/1.png" alt=""><p id="price">12.50</p></div></main></body></html>`, r.PathValue("id"))
	})
	mux.HandleFunc("GET /api/items", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		var items []string
		for i := 1; i <= 12; i++ {
			items = append(items, fmt.Sprintf(`{"id":%d,"name":"Item %d","price":"%d.50"}`, i, i, 10+i))
		}
		fmt.Fprint(w, "["+strings.Join(items, ",")+"]")
	})
	mux.HandleFunc("GET /static/site.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		fmt.Fprint(w, siteCSS)
	})
	mux.HandleFunc("GET /static/app.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, siteJS)
	})
	mux.HandleFunc("GET /static/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		if _, err := fmt.Sscanf(r.PathValue("n"), "%d.png", &n); err != nil || n < 0 || n > 2 {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(pngs[n])
	})
	s.srv = &http.Server{Handler: mux}
	go s.srv.Serve(ln)
	return s, nil
}

func (s *browserSite) close() { s.srv.Close() }

// browserJourney is the browser section of every probe of the figure: the
// target (the login page) and six steps over three pages.
const browserJourney = `    browser:
      steps:
        - {name: user, type: {selector: "#user", text: bench}}
        - {name: password, type: {selector: "#pass", text: secret}}
        - {name: submit, click: "#submit"}
        - {name: dashboard, wait_visible: "#items .card a"}
        - {name: open item, click: "#items .card a"}
        - {name: item, assert_text: {selector: "h1", contains: "Item 1"}}
`
