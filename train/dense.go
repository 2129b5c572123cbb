package train

// The fully connected layer's loops, on a few examples at once: the
// forward pass and the backward products of a mini-batch are small matrix
// products. Each output is still summed in one chain in the order of the
// plain loops (bias, then input 0, 1, ...; the gradient over the examples
// in batch order), so results do not depend on how examples are grouped;
// the speed comes from running four chains at a time that share their
// loads, and from slices the compiler can see are long enough (no bounds
// checks).

// denseForward computes out[s*nout+o] = b[o] + sum_j w[o*nin+j] in[s*nin+j]
// for n examples, four outputs at a time (four chains sharing the input's
// loads; more spill registers on amd64).
func denseForward(w, b, in, out []float64, n, nin, nout int) {
	w, b = w[:nout*nin], b[:nout]
	in, out = in[:n*nin], out[:n*nout]
	for s := range n {
		x := in[s*nin : (s+1)*nin]
		y := out[s*nout : (s+1)*nout]
		o := 0
		for ; o+4 <= nout; o += 4 {
			r0 := w[o*nin : (o+1)*nin]
			r1 := w[(o+1)*nin : (o+2)*nin]
			r2 := w[(o+2)*nin : (o+3)*nin]
			r3 := w[(o+3)*nin : (o+4)*nin]
			x := x[:len(r0)]
			r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
			a0, a1, a2, a3 := b[o], b[o+1], b[o+2], b[o+3]
			for j, v := range x {
				a0 += r0[j] * v
				a1 += r1[j] * v
				a2 += r2[j] * v
				a3 += r3[j] * v
			}
			y[o], y[o+1], y[o+2], y[o+3] = a0, a1, a2, a3
		}
		if o+2 <= nout {
			r0 := w[o*nin : (o+1)*nin]
			r1 := w[(o+1)*nin : (o+2)*nin]
			x := x[:len(r0)]
			r1 = r1[:len(r0)]
			a0, a1 := b[o], b[o+1]
			for j, v := range x {
				a0 += r0[j] * v
				a1 += r1[j] * v
			}
			y[o], y[o+1] = a0, a1
			o += 2
		}
		if o < nout {
			r := w[o*nin : (o+1)*nin]
			x := x[:len(r)]
			a := b[o]
			for j, u := range r {
				a += u * x[j]
			}
			y[o] = a
		}
	}
}

// denseGradW adds the weight gradient of n examples to gw:
// gw[o*nin+j] += sum_s d[s*nout+o] in[s*nin+j], the examples in order,
// and their bias gradient to gb.
func denseGradW(gw, gb, d, in []float64, n, nin, nout int) {
	gw, gb = gw[:nout*nin], gb[:nout]
	in, d = in[:n*nin], d[:n*nout]
	for o := range nout {
		row := gw[o*nin : (o+1)*nin]
		s := 0
		for ; s+4 <= n; s += 4 {
			d0, d1, d2, d3 := d[s*nout+o], d[(s+1)*nout+o], d[(s+2)*nout+o], d[(s+3)*nout+o]
			gb[o] = gb[o] + d0 + d1 + d2 + d3
			if d0 == 0 && d1 == 0 && d2 == 0 && d3 == 0 {
				continue
			}
			x0 := in[s*nin : (s+1)*nin]
			x1 := in[(s+1)*nin : (s+2)*nin]
			x2 := in[(s+2)*nin : (s+3)*nin]
			x3 := in[(s+3)*nin : (s+4)*nin]
			x0, x1, x2, x3 = x0[:len(row)], x1[:len(row)], x2[:len(row)], x3[:len(row)]
			for j, g := range row {
				row[j] = g + d0*x0[j] + d1*x1[j] + d2*x2[j] + d3*x3[j]
			}
		}
		for ; s < n; s++ {
			ds := d[s*nout+o]
			gb[o] += ds
			if ds == 0 {
				continue
			}
			x := in[s*nin : (s+1)*nin]
			x = x[:len(row)]
			for j, g := range row {
				row[j] = g + ds*x[j]
			}
		}
	}
}

// denseGradIn sets the gradient of n examples' inputs:
// gin[s*nin+j] = sum_o d[s*nout+o] w[o*nin+j], the outputs in order.
func denseGradIn(gin, d, w []float64, n, nin, nout int) {
	gin, d, w = gin[:n*nin], d[:n*nout], w[:nout*nin]
	clear(gin)
	for s := range n {
		g := gin[s*nin : (s+1)*nin]
		ds := d[s*nout : (s+1)*nout]
		o := 0
		for ; o+4 <= nout; o += 4 {
			d0, d1, d2, d3 := ds[o], ds[o+1], ds[o+2], ds[o+3]
			r0 := w[o*nin : (o+1)*nin]
			r1 := w[(o+1)*nin : (o+2)*nin]
			r2 := w[(o+2)*nin : (o+3)*nin]
			r3 := w[(o+3)*nin : (o+4)*nin]
			r0, r1, r2, r3 = r0[:len(g)], r1[:len(g)], r2[:len(g)], r3[:len(g)]
			for j, v := range g {
				g[j] = v + d0*r0[j] + d1*r1[j] + d2*r2[j] + d3*r3[j]
			}
		}
		for ; o < nout; o++ {
			d0 := ds[o]
			if d0 == 0 {
				continue
			}
			r := w[o*nin : (o+1)*nin]
			r = r[:len(g)]
			for j, v := range g {
				g[j] = v + d0*r[j]
			}
		}
	}
}
