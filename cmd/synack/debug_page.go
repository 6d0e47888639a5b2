package main

import (
	"html/template"
	"net/http"
	"net/url"
)

// debugPage is the live view's front page: the socket table like
// `ss -tani`, each connection linking to its ladder and its path on the
// state diagram. It fetches nothing and refreshes itself every 2 s.
var debugPage = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="2">
<title>synack: {{.Host}}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5em; }
table { border-collapse: collapse; }
th, td { padding: 0.2em 0.8em; text-align: right; border-bottom: 1px solid #ddd; }
th { background: #f4f4f4; }
td.a, th.a { text-align: left; font-family: ui-monospace, monospace; }
.ESTABLISHED { color: #17803d; } .LISTEN { color: #555; } .TIME_WAIT { color: #7b3fa0; }
.SYN_SENT, .SYN_RCVD { color: #1f5fbf; }
.FIN_WAIT_1, .FIN_WAIT_2, .CLOSE_WAIT, .CLOSING, .LAST_ACK { color: #c05f00; }
</style>
</head>
<body>
<h1>synack: {{.Host}}</h1>
<p>{{len .Rows}} sockets. <a href="/api/connections">JSON</a> · <a href="/metrics">metrics</a> · <a href="/debug/pprof/">pprof</a></p>
<table>
<tr><th class="a">State</th><th>Recv-Q</th><th>Send-Q</th><th class="a">Local</th><th class="a">Peer</th>
<th>RTT ms</th><th>RTO ms</th><th>cwnd</th><th>MSS</th><th>retrans</th><th class="a">timer</th><th class="a">see</th></tr>
{{range .Rows}}<tr>
<td class="a {{.State}}">{{.State}}</td><td>{{.RecvQ}}</td><td>{{.SendQ}}</td>
<td class="a">{{.Local}}</td><td class="a">{{if .Remote}}{{.Remote}}{{else}}*{{if .HalfOpen}} ({{.HalfOpen}} half-open){{end}}{{end}}</td>
<td>{{if .RTTMs}}{{printf "%.1f" .RTTMs}}{{end}}</td><td>{{if .RTOMs}}{{printf "%.0f" .RTOMs}}{{end}}</td>
<td>{{if .CWnd}}{{.CWnd}}{{end}}</td><td>{{if .MSS}}{{.MSS}}{{end}}</td><td>{{if .Remote}}{{.Retransmits}}/{{.RetransSegs}}{{end}}</td>
<td class="a">{{if .Timer}}{{.Timer}} {{printf "%.0f" .TimerInMs}} ms{{end}}</td>
<td class="a">{{if .Remote}}<a href="/ladder?{{.Query}}">ladder</a> <a href="/states?{{.Query}}">states</a>{{end}}</td>
</tr>{{end}}
</table>
</body>
</html>
`))

// pageRow is a row of the page: the JSON row and its link's query.
type pageRow struct {
	connRow
	Query template.URL
}

// page serves the front page.
func (d *debugServer) page(w http.ResponseWriter, _ *http.Request) {
	var rows []pageRow
	for _, r := range d.rows() {
		q := url.Values{"local": {r.Local}, "remote": {r.Remote}}
		rows = append(rows, pageRow{r, template.URL(q.Encode())})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	debugPage.Execute(w, struct {
		Host string
		Rows []pageRow
	}{d.st.Host().Name(), rows})
}
