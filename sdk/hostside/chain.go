package hostside

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
	"github.com/amber-electrum/amber/sdk/internal/wire"
)

// ErrPluginExited is the cause (Err) of the sdk.KindUnavailable error a client
// adapter returns once the plugin process is gone.
var ErrPluginExited = errors.New("plugin process exited")

// ChainClient is the host-side adapter: an sdk.ChainBackend that calls a plugin
// over gRPC. Errors are *sdk.Error values rebuilt by FromStatus.
type ChainClient struct {
	proc   context.Context
	plugin pluginv1.PluginClient
	chain  pluginv1.ChainBackendClient
	opts   []grpc.CallOption
}

var _ sdk.ChainBackend = (*ChainClient)(nil)

// NewChainClient returns the adapter for a connection to a plugin. proc is
// the plugin process context (go-plugin cancels it when the process exits;
// nil means never): every call's context is derived from it, so calls in
// flight fail and new calls fail at once with sdk.KindUnavailable and
// ErrPluginExited once the process is gone.
func NewChainClient(proc context.Context, cc grpc.ClientConnInterface) *ChainClient {
	if proc == nil {
		proc = context.Background()
	}
	return &ChainClient{
		proc:   proc,
		plugin: pluginv1.NewPluginClient(cc),
		chain:  pluginv1.NewChainBackendClient(cc),
		opts:   wire.CallOptions(),
	}
}

// begin derives the call context from ctx and the process context.
func (c *ChainClient) begin(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if c.proc.Err() != nil {
		return nil, nil, c.exited()
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(c.proc, cancel)
	return ctx, func() { stop(); cancel() }, nil
}

func (c *ChainClient) exited() error {
	return &sdk.Error{Kind: sdk.KindUnavailable, Message: ErrPluginExited.Error(), Err: ErrPluginExited}
}

// fail converts a call error into an *sdk.Error.
func (c *ChainClient) fail(err error) error {
	if c.proc.Err() != nil {
		return c.exited()
	}
	return FromStatus(err)
}

func badReply(what string, err error) error {
	return &sdk.Error{Kind: sdk.KindInternal, Message: "plugin sent a malformed " + what, Err: err}
}

// unary runs one unary call with a derived context and converted errors.
func unary[R any](c *ChainClient, ctx context.Context, call func(context.Context) (R, error)) (R, error) {
	var zero R
	ctx, done, err := c.begin(ctx)
	if err != nil {
		return zero, err
	}
	defer done()
	r, err := call(ctx)
	if err != nil {
		return zero, c.fail(err)
	}
	return r, nil
}

// Describe implements sdk.ChainBackend (Plugin.Describe).
func (c *ChainClient) Describe(ctx context.Context) (sdk.Description, error) {
	r, err := unary(c, ctx, func(ctx context.Context) (*pluginv1.DescribeResponse, error) {
		return c.plugin.Describe(ctx, &pluginv1.DescribeRequest{}, c.opts...)
	})
	if err != nil {
		return sdk.Description{}, err
	}
	d, err := descriptionFromWire(r)
	if err != nil {
		return sdk.Description{}, badReply("description", err)
	}
	return d, nil
}

// Configure implements sdk.ChainBackend (Plugin.Configure, broker id 0: the host
// offers no services yet).
func (c *ChainClient) Configure(ctx context.Context, config []byte) error {
	_, err := unary(c, ctx, func(ctx context.Context) (*pluginv1.ConfigureResponse, error) {
		return c.plugin.Configure(ctx, &pluginv1.ConfigureRequest{ConfigJson: config}, c.opts...)
	})
	return err
}

// Shutdown implements sdk.ChainBackend (Plugin.Shutdown with ctx's deadline).
func (c *ChainClient) Shutdown(ctx context.Context) error {
	req := &pluginv1.ShutdownRequest{}
	if d, ok := ctx.Deadline(); ok {
		req.Deadline = timestamppb.New(d)
	}
	_, err := unary(c, ctx, func(ctx context.Context) (*pluginv1.ShutdownResponse, error) {
		return c.plugin.Shutdown(ctx, req, c.opts...)
	})
	return err
}

// sdk.Tip implements sdk.ChainBackend.
func (c *ChainClient) Tip(ctx context.Context) (sdk.Tip, error) {
	r, err := unary(c, ctx, func(ctx context.Context) (*pluginv1.TipResponse, error) {
		return c.chain.Tip(ctx, &pluginv1.TipRequest{}, c.opts...)
	})
	if err != nil {
		return sdk.Tip{}, err
	}
	h, err := wire.HashFromBytes[sdk.Hash](r.GetHash())
	if err != nil {
		return sdk.Tip{}, badReply("tip hash", err)
	}
	return sdk.Tip{Height: r.GetHeight(), Hash: h}, nil
}

// BlockHashes implements sdk.ChainBackend.
func (c *ChainClient) BlockHashes(ctx context.Context, start int64, count int) ([]sdk.Hash, error) {
	r, err := unary(c, ctx, func(ctx context.Context) (*pluginv1.BlockHashesResponse, error) {
		return c.chain.BlockHashes(ctx, &pluginv1.BlockHashesRequest{Start: start, Count: int64(count)}, c.opts...)
	})
	if err != nil {
		return nil, err
	}
	hs, err := wire.HashesFromWire[sdk.Hash](r.GetHashes())
	if err != nil {
		return nil, badReply("block hash", err)
	}
	return hs, nil
}

// Blocks implements sdk.ChainBackend: one server stream for the whole range,
// yield is called per received block. An error from yield cancels the stream
// and is returned unchanged.
func (c *ChainClient) Blocks(ctx context.Context, start int64, count int, yield func(sdk.Block) error) error {
	ctx, done, err := c.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	stream, err := c.chain.Blocks(ctx, &pluginv1.BlocksRequest{Start: start, Count: int64(count)}, c.opts...)
	if err != nil {
		return c.fail(err)
	}
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return c.fail(err)
		}
		b, err := blockFromWire(m)
		if err != nil {
			return badReply("block", err)
		}
		if err := yield(b); err != nil {
			return err
		}
	}
}

// Transaction implements sdk.ChainBackend.
func (c *ChainClient) Transaction(ctx context.Context, txid sdk.Hash, verbose bool) ([]byte, error) {
	r, err := unary(c, ctx, func(ctx context.Context) (*pluginv1.TransactionResponse, error) {
		return c.chain.Transaction(ctx, &pluginv1.TransactionRequest{Txid: txid[:], Verbose: verbose}, c.opts...)
	})
	if err != nil {
		return nil, err
	}
	return r.GetJson(), nil
}

// Broadcast implements sdk.ChainBackend.
func (c *ChainClient) Broadcast(ctx context.Context, rawTxHex string) (string, error) {
	r, err := unary(c, ctx, func(ctx context.Context) (*pluginv1.BroadcastResponse, error) {
		return c.chain.Broadcast(ctx, &pluginv1.BroadcastRequest{RawTxHex: rawTxHex}, c.opts...)
	})
	if err != nil {
		return "", err
	}
	return r.GetTxid(), nil
}

// MempoolTxids implements sdk.ChainBackend.
func (c *ChainClient) MempoolTxids(ctx context.Context) ([]sdk.Hash, error) {
	r, err := unary(c, ctx, func(ctx context.Context) (*pluginv1.MempoolTxidsResponse, error) {
		return c.chain.MempoolTxids(ctx, &pluginv1.MempoolTxidsRequest{}, c.opts...)
	})
	if err != nil {
		return nil, err
	}
	hs, err := wire.HashesFromWire[sdk.Hash](r.GetTxids())
	if err != nil {
		return nil, badReply("mempool txid", err)
	}
	return hs, nil
}

// MempoolTransactions implements sdk.ChainBackend.
func (c *ChainClient) MempoolTransactions(ctx context.Context, txids []sdk.Hash) ([][]byte, error) {
	r, err := unary(c, ctx, func(ctx context.Context) (*pluginv1.MempoolTransactionsResponse, error) {
		return c.chain.MempoolTransactions(ctx, &pluginv1.MempoolTransactionsRequest{Txids: wire.HashesToWire(txids)}, c.opts...)
	})
	if err != nil {
		return nil, err
	}
	if n := len(r.GetTransactions()); n != len(txids) {
		return nil, badReply("mempool transaction list", fmt.Errorf("asked for %d transactions, got %d", len(txids), n))
	}
	return mempoolTxsFromWire(r.GetTransactions()), nil
}

// RelayFee implements sdk.ChainBackend.
func (c *ChainClient) RelayFee(ctx context.Context) (float64, error) {
	r, err := unary(c, ctx, func(ctx context.Context) (*pluginv1.RelayFeeResponse, error) {
		return c.chain.RelayFee(ctx, &pluginv1.RelayFeeRequest{}, c.opts...)
	})
	if err != nil {
		return 0, err
	}
	return r.GetFee(), nil
}

// EstimateFee implements sdk.ChainBackend.
func (c *ChainClient) EstimateFee(ctx context.Context, blocks int, mode string) (float64, error) {
	r, err := unary(c, ctx, func(ctx context.Context) (*pluginv1.EstimateFeeResponse, error) {
		return c.chain.EstimateFee(ctx, &pluginv1.EstimateFeeRequest{Blocks: int64(blocks), Mode: mode}, c.opts...)
	})
	if err != nil {
		return 0, err
	}
	return r.GetFee(), nil
}

// sdk.DaemonInfo implements sdk.ChainBackend.
func (c *ChainClient) DaemonInfo(ctx context.Context) (sdk.DaemonInfo, error) {
	r, err := unary(c, ctx, func(ctx context.Context) (*pluginv1.DaemonInfoResponse, error) {
		return c.chain.DaemonInfo(ctx, &pluginv1.DaemonInfoRequest{}, c.opts...)
	})
	if err != nil {
		return sdk.DaemonInfo{}, err
	}
	return sdk.DaemonInfo{Version: r.GetVersion(), Subversion: r.GetSubversion(), RelayFee: r.GetRelayFee()}, nil
}

// SetDaemonURLs implements sdk.ChainBackend.
func (c *ChainClient) SetDaemonURLs(ctx context.Context, urls []string) error {
	_, err := unary(c, ctx, func(ctx context.Context) (*pluginv1.SetDaemonURLsResponse, error) {
		return c.chain.SetDaemonURLs(ctx, &pluginv1.SetDaemonURLsRequest{Urls: urls}, c.opts...)
	})
	return err
}
