package charts

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"
	"unicode"

	stdfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/latency"
	"github.com/amber-electrum/amber/core/pyfmt"
)

// Chart is one SVG document.
type Chart struct {
	// Name is the chart's part of the file name ("latency-cdf").
	Name string
	// Title is the chart's title (its first line).
	Title string
	SVG   []byte
}

// Width is the charts' width: 7 in = 504 pt, 672 px on a screen.
const Width = 7 * vg.Inch

// height is the usual chart height.
const height = 4.5 * vg.Inch

// minMs is the smallest latency drawn on a log axis (1 µs): a log axis has
// no room for 0.
const minMs = 1e-3

// palette is Okabe and Ito's colour-blind-safe one (black last).
var palette = []color.Color{
	color.RGBA{0x00, 0x72, 0xb2, 0xff}, // blue
	color.RGBA{0xd5, 0x5e, 0x00, 0xff}, // vermillion
	color.RGBA{0x00, 0x9e, 0x73, 0xff}, // bluish green
	color.RGBA{0xcc, 0x79, 0xa7, 0xff}, // reddish purple
	color.RGBA{0xe6, 0x9f, 0x00, 0xff}, // orange
	color.RGBA{0x56, 0xb4, 0xe9, 0xff}, // sky blue
	color.RGBA{0x00, 0x00, 0x00, 0xff},
}

// dashes tell series apart where colours do not (print, colour blindness):
// solid first, then longer and shorter dashes.
var dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)},
	{vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)}}

var grey = color.Gray{Y: 0x70}

// seriesStyle is the line style of the i-th series.
func seriesStyle(i int) draw.LineStyle {
	return draw.LineStyle{Color: palette[i%len(palette)], Width: vg.Points(1.75),
		Dashes: dashes[(i/len(palette)+i)%len(dashes)]}
}

// newPlot is a plot with sans-serif text, a bold title, a light grid and
// the legend at the bottom right.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = clean(title)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	styles := []*vg.Length{&p.Title.TextStyle.Font.Size, &p.X.Label.TextStyle.Font.Size, &p.Y.Label.TextStyle.Font.Size,
		&p.X.Tick.Label.Font.Size, &p.Y.Tick.Label.Font.Size, &p.Legend.TextStyle.Font.Size}
	sizes := []vg.Length{12, 11, 11, 10, 10, 10}
	for i, s := range styles {
		*s = sizes[i]
	}
	for _, f := range []*string{(*string)(&p.Title.TextStyle.Font.Variant), (*string)(&p.X.Label.TextStyle.Font.Variant),
		(*string)(&p.Y.Label.TextStyle.Font.Variant), (*string)(&p.X.Tick.Label.Font.Variant),
		(*string)(&p.Y.Tick.Label.Font.Variant), (*string)(&p.Legend.TextStyle.Font.Variant)} {
		*f = "Sans"
	}
	p.Title.TextStyle.Font.Weight = stdfont.WeightBold
	p.Title.Padding = vg.Points(8)
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.ThumbnailWidth = vg.Points(24)
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 0xe0}
	g.Horizontal.Color = color.Gray{Y: 0xe0}
	p.Add(g)
	return p
}

// render draws p as an SVG document of the given size. The font is named
// with fallbacks, for viewers without the Liberation fonts.
func render(p *plot.Plot, w, h vg.Length) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil { // gonum/plot panics on data it cannot draw
			out, err = nil, fmt.Errorf("charts: drawing %q: %v", p.Title.Text, r)
		}
	}()
	c := vgsvg.New(w, h)
	dc := draw.New(c)
	placeLegend(p, dc)
	p.Draw(dc)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("charts: writing SVG: %w", err)
	}
	return bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")), nil
}

// legendInset is the gap between the legend and the data area's edges.
const legendInset = 6

// placeLegend moves the legend inside the data area: gonum/plot aligns it
// with the canvas's right edge, past the padding for the last tick label,
// and with the top of the area under the title.
func placeLegend(p *plot.Plot, c draw.Canvas) {
	data := p.DataCanvas(c)
	p.Legend.XOffs = data.Max.X - c.Max.X - legendInset
	if p.Legend.Left { // it starts at the y axis, which data starts after
		p.Legend.XOffs = legendInset
	}
	p.Legend.YOffs = legendInset
	if p.Legend.Top {
		top := c.Max.Y
		if p.Title.Text != "" {
			top -= p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
		}
		p.Legend.YOffs = data.Max.Y - top - legendInset
	}
}

// clean makes a label printable: valid UTF-8, no control characters
// other than newlines, at most 120 runes a line.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "?")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		l = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) || r == 0xfffe || r == 0xffff {
				return '?'
			}
			return r
		}, l)
		if r := []rune(l); len(r) > 120 {
			l = string(r[:119]) + "…"
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}

// ms is a duration in nanoseconds as milliseconds, at least minMs.
func ms[T ~int64](ns T) float64 { return max(float64(ns)/1e6, minMs) }

// num formats a figure with up to 3 significant digits ("0.0123", "4.56",
// "789", "12,345"), without an exponent.
func num(v float64) string {
	if !(math.Abs(v) < 1e15) {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	if math.Abs(v) >= 1000 {
		return pyfmt.Thousands(int64(math.Round(v)))
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'e', 2, 64), 64)
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// logAxis makes a a log axis from lo to hi (both > 0), widened to whole
// decades, labelled at the powers of ten (and at 2 and 5 times them when
// the axis spans few decades).
func logAxis(a *plot.Axis, lo, hi float64) {
	lo, hi = max(lo, minMs), max(hi, minMs)
	d0, d1 := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if d1 <= d0 {
		d1 = d0 + 1
	}
	a.Scale = plot.LogScale{}
	a.Min, a.Max = math.Pow10(int(d0)), math.Pow10(int(d1))
	span := int(d1 - d0)
	var ticks []plot.Tick
	for d := int(d0); d <= int(d1); d++ {
		for m := 1; m <= 9 && (m == 1 || d < int(d1)); m++ {
			v := float64(m) * math.Pow10(d)
			label := ""
			if m == 1 && (span <= 8 || (d-int(d0))%2 == 0) || (m == 2 || m == 5) && span <= 3 {
				label = num(v)
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		}
	}
	a.Tick.Marker = plot.ConstantTicks(ticks)
}

// linearAxis makes a a linear axis from lo to hi with about six labelled
// ticks at round steps (1, 2, 2.5 or 5 times a power of ten), and an
// unlabelled one halfway between (an empty range becomes lo..lo+1).
func linearAxis(a *plot.Axis, lo, hi float64) {
	if !(hi-lo >= 1e-6) {
		hi = lo + 1
	}
	a.Min, a.Max = lo, hi
	raw := (hi - lo) / 6
	mag := math.Pow10(int(math.Floor(math.Log10(raw))))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []plot.Tick
	for i := math.Ceil(lo / step * 2); i/2*step <= hi*(1+1e-9); i++ {
		v := i / 2 * step
		label := ""
		if math.Mod(i, 2) == 0 {
			label = num(v)
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	a.Tick.Marker = plot.ConstantTicks(ticks)
}

// The percentile axis is stretched towards the tail: y = -log10(1-q) for
// the fraction q, so 90, 99 and 99.9 are equally spaced.
func tailY(q, floor float64) float64 { return -math.Log10(max(1-q, floor)) }

// percentileAxis labels a tail-stretched y axis from 0 to at least p99 and
// up to top (in tailY units).
func percentileAxis(a *plot.Axis, top float64) {
	top = max(2, math.Ceil(top-1e-9))
	a.Min, a.Max = 0, top
	var ticks []plot.Tick
	for _, p := range []float64{0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.995, 99.999, 99.9995, 99.9999} {
		y := tailY(p/100, 0)
		if y > top+1e-9 {
			break
		}
		label := strconv.FormatFloat(p, 'f', -1, 64)
		if p == 99.5 || p == 99.95 || p == 99.995 || p == 99.9995 {
			label = "" // minor
		}
		ticks = append(ticks, plot.Tick{Value: y, Label: label})
	}
	a.Tick.Marker = plot.ConstantTicks(ticks)
}

// cdf is a latency distribution as a line on a log-x, tail-stretched-y
// plot: x in ms, y in tailY units.
type cdf struct {
	xys   plotter.XYs
	count int64
	exact bool // from a histogram, not from a summary's percentiles
}

// newCDF draws the distribution from the histogram when there is one, else
// from the summary's percentiles; count 0 means no samples.
func newCDF(s latency.Summary, h []latency.Bucket) cdf {
	var n int64
	for _, b := range h {
		n += b.Count
	}
	if n > 0 {
		c := cdf{count: n, exact: true}
		floor := 1 / float64(n)
		var cum int64
		for _, b := range h {
			cum += b.Count
			c.xys = append(c.xys, plotter.XY{X: ms(b.LE), Y: tailY(float64(cum)/float64(n), floor)})
		}
		return c
	}
	if s.Count <= 0 {
		return cdf{}
	}
	floor := 1 / float64(s.Count)
	c := cdf{count: s.Count}
	for _, p := range []struct {
		v int64
		q float64
	}{{int64(s.P50), 0.5}, {int64(s.P99), 0.99}, {int64(s.P999), 0.999}, {int64(s.Max), 1}} {
		c.xys = append(c.xys, plotter.XY{X: ms(p.v), Y: tailY(p.q, floor)})
	}
	return c
}

// bounds returns the x range and the top y of the lines.
func bounds(cs []cdf) (lo, hi, top float64) {
	lo, hi = math.Inf(1), 0
	for _, c := range cs {
		for _, p := range c.xys {
			lo, hi, top = min(lo, p.X), max(hi, p.X), max(top, p.Y)
		}
	}
	return lo, hi, top
}

// targetLine is a dashed grey vertical line at x from y0 to y1.
func targetLine(x, y0, y1 float64) (*plotter.Line, error) {
	l, err := plotter.NewLine(plotter.XYs{{X: x, Y: y0}, {X: x, Y: y1}})
	if err != nil {
		return nil, err
	}
	l.LineStyle = draw.LineStyle{Color: grey, Width: vg.Points(1.25), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	return l, nil
}
