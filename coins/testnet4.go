package coins

import (
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// testnet4 (BIP94) is not in btcd v0.24.2's chaincfg. Its parameters are
// testnet3's (address encodings, proof-of-work limit) with testnet4's own
// network magic, port, seeds and genesis block, taken from Bitcoin Core's
// chainparams.cpp. The genesis block is rebuilt here from its fields; the
// tests check that it hashes to the known testnet4 genesis hash.
//
// Soft-fork deployment heights and checkpoints are not adjusted (all are
// active from block 1 on testnet4); Amber does not validate consensus.

const (
	testNet4Magic     wire.BitcoinNet = 0x283f161c
	testNet4Message                   = "03/May/2024 000000000000000000001ebd58c244970b3aa9d783bb001011fbe8ea8e98e00e"
	testNet4Time                      = 1714777860
	testNet4Nonce                     = 393743547
	testNet4Bits                      = 0x1d00ffff
	testNet4Subsidy                   = 50 * 100_000_000
	testNet4ScriptSig                 = "\x04\xff\xff\x00\x1d" + // push 486604799 (0x1d00ffff)
		"\x01\x04" + // push CScriptNum(4)
		"\x4c\x4c" // OP_PUSHDATA1, 76 bytes of message follow
)

func testNet4Coinbase() *wire.MsgTx {
	// Output script: a push of 33 zero bytes, then OP_CHECKSIG.
	pkScript := make([]byte, 0, 35)
	pkScript = append(pkScript, 0x21)
	pkScript = append(pkScript, make([]byte, 33)...)
	pkScript = append(pkScript, 0xac)

	tx := wire.NewMsgTx(1)
	tx.AddTxIn(&wire.TxIn{
		PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex},
		SignatureScript:  []byte(testNet4ScriptSig + testNet4Message),
		Sequence:         wire.MaxTxInSequenceNum,
	})
	tx.AddTxOut(&wire.TxOut{Value: testNet4Subsidy, PkScript: pkScript})
	return tx
}

func testNet4Genesis() (*wire.MsgBlock, chainhash.Hash) {
	cb := testNet4Coinbase()
	block := &wire.MsgBlock{
		Header: wire.BlockHeader{
			Version:    1,
			MerkleRoot: cb.TxHash(),
			Timestamp:  time.Unix(testNet4Time, 0),
			Bits:       testNet4Bits,
			Nonce:      testNet4Nonce,
		},
		Transactions: []*wire.MsgTx{cb},
	}
	return block, block.BlockHash()
}

var testNet4Params = func() chaincfg.Params {
	p := chaincfg.TestNet3Params
	block, hash := testNet4Genesis()
	p.Name = "testnet4"
	p.Net = testNet4Magic
	p.DefaultPort = "48333"
	p.DNSSeeds = []chaincfg.DNSSeed{
		{Host: "seed.testnet4.bitcoin.sprovoost.nl", HasFiltering: true},
		{Host: "seed.testnet4.wiz.biz", HasFiltering: true},
	}
	p.GenesisBlock = block
	p.GenesisHash = &hash
	p.Checkpoints = nil
	p.BIP0034Height = 1
	p.BIP0065Height = 1
	p.BIP0066Height = 1
	return p
}()
