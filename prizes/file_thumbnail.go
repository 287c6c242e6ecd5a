package prizes

import (
	"image"
	"image/color"
	"image/draw"
)

// Thumbnail returns img scaled to fit in a size x size square, keeping its
// proportions; an image already that small is copied as it is. Each pixel
// of the thumbnail is the average of the source pixels it covers (a box
// filter), which is sharp enough for a logo and needs nothing beyond the
// standard library.
func Thumbnail(img image.Image, size int) *image.NRGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	tw, th := w, h
	if w > size || h > size {
		if w >= h {
			tw, th = size, max(1, h*size/w)
		} else {
			tw, th = max(1, w*size/h), size
		}
	}
	src := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	if tw == w && th == h {
		return src
	}
	dst := image.NewNRGBA(image.Rect(0, 0, tw, th))
	for y := range th {
		y0, y1 := y*h/th, max((y+1)*h/th, y*h/th+1)
		for x := range tw {
			x0, x1 := x*w/tw, max((x+1)*w/tw, x*w/tw+1)
			var r, g, bl, a, n uint64
			for sy := y0; sy < y1; sy++ {
				row := src.Pix[sy*src.Stride:]
				for sx := x0; sx < x1; sx++ {
					p := row[sx*4 : sx*4+4]
					// Colours are weighted by their alpha, so transparent
					// pixels do not darken the edges.
					pa := uint64(p[3])
					r += uint64(p[0]) * pa
					g += uint64(p[1]) * pa
					bl += uint64(p[2]) * pa
					a += pa
					n++
				}
			}
			c := color.NRGBA{A: uint8(a / n)}
			if a > 0 {
				c.R, c.G, c.B = uint8(r/a), uint8(g/a), uint8(bl/a)
			}
			dst.SetNRGBA(x, y, c)
		}
	}
	return dst
}
