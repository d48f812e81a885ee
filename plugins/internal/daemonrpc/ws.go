package daemonrpc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/coder/websocket"

	"github.com/amber-electrum/amber/sdk"
)

// ErrNoWebsocket: the daemon has no JSON-RPC websocket at /ws (bitcoind);
// only btcd and its forks push notifications there.
var ErrNoWebsocket = errors.New("daemon has no JSON-RPC websocket")

// maxNotification bounds one websocket message from the daemon.
const maxNotification = 1 << 20

// Notification is one push message of the daemon's websocket.
type Notification struct {
	Method string
	Params json.RawMessage
}

// wsURL turns the endpoint's base URL (http[s]://host:port/) into the
// websocket address (ws[s]://host:port/ws).
func wsURL(base string) string {
	u := strings.Replace(strings.Replace(base, "https://", "wss://", 1), "http://", "ws://", 1)
	return strings.TrimSuffix(u, "/") + "/ws"
}

// Notifications opens the current daemon's JSON-RPC websocket (btcd's
// ws://host:port/ws, with the client's credentials), sends each of
// subscribe as a request and waits for its success, then calls handle for
// every notification until ctx ends (nil) or the connection fails (an
// error). ErrNoWebsocket when the daemon refuses the upgrade with an HTTP
// status, as bitcoind does.
func (c *Client) Notifications(ctx context.Context, subscribe []Request, handle func(Notification)) error {
	ctx, done := c.withStop(ctx)
	defer done()
	ep := c.Current()
	user, pass, _, err := c.creds(ep)
	if err != nil {
		return sdk.Errorf(sdk.KindUnavailable, "daemon websocket: %w", err)
	}
	hdr := http.Header{}
	if user != "" || pass != "" {
		hdr.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
	}
	conn, resp, err := websocket.Dial(ctx, wsURL(ep.Base), &websocket.DialOptions{
		HTTPClient: &http.Client{Transport: c.tr}, HTTPHeader: hdr})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			if resp.StatusCode == http.StatusUnauthorized {
				return sdk.Errorf(sdk.KindUnavailable, "daemon websocket %s: authentication refused", ep.Logged)
			}
			return fmt.Errorf("%w (%s answered HTTP %d)", ErrNoWebsocket, ep.Logged, resp.StatusCode)
		}
		return sdk.Errorf(sdk.KindUnavailable, "daemon websocket %s: %w", ep.Logged, err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(maxNotification)

	pending := map[uint64]string{}
	for _, r := range subscribe {
		id := reserveIDs(1)
		body, err := encodeSingle(id, r.Method, r.Params)
		if err != nil {
			return err
		}
		if err := conn.Write(ctx, websocket.MessageText, body); err != nil {
			return c.wsErr(ctx, ep, err)
		}
		pending[id] = r.Method
	}
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return c.wsErr(ctx, ep, err)
		}
		n, id, rerr, err := parseWSMessage(data)
		switch {
		case err != nil:
			return sdk.Errorf(sdk.KindInternal, "daemon websocket %s: %w", ep.Logged, err)
		case n != nil:
			handle(*n)
		case pending[id] != "" && rerr != nil:
			return &sdk.Error{Kind: sdk.KindDaemon, DaemonCode: rerr.Code, DaemonMessage: rerr.Message,
				Message: fmt.Sprintf("daemon websocket %s: %s: %s", ep.Logged, pending[id], rerr.Message)}
		default:
			delete(pending, id)
		}
	}
}

func (c *Client) wsErr(ctx context.Context, ep Endpoint, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return sdk.Errorf(sdk.KindUnavailable, "daemon websocket %s: %w", ep.Logged, err)
}

// parseWSMessage splits a websocket message into a notification (a method
// and no id, or a null id) or a reply (its id and error, if any).
func parseWSMessage(data []byte) (n *Notification, id uint64, rerr *rpcError, err error) {
	var m struct {
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
		ID     json.RawMessage `json:"id"`
		Error  *rpcError       `json:"error"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, 0, nil, &errMalformed{fmt.Sprintf("websocket message %.80q: %v", data, err)}
	}
	if m.Method != "" && (len(m.ID) == 0 || string(m.ID) == "null") {
		return &Notification{Method: m.Method, Params: m.Params}, 0, nil, nil
	}
	if err := json.Unmarshal(m.ID, &id); err != nil {
		return nil, 0, nil, &errMalformed{fmt.Sprintf("websocket reply id %.40q", m.ID)}
	}
	return nil, id, m.Error, nil
}
