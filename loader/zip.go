package loader

import (
	"encoding/binary"
	"errors"
	"hash/crc32"

	"mobilenet-wasm/internal/textfmt"
)

// The label files of a model with metadata are a zip archive appended to
// the flatbuffer. This file reads that archive itself rather than through
// archive/zip, which would bring compress/flate, time and os (and with
// them fmt) into the wasm engine: about a tenth of the classify-only
// build a first visit downloads. It reads what TFLite's metadata writer
// makes: files stored uncompressed, in an archive without zip64 records,
// whose offsets count from the archive's start or from the file's.
// Deflated files are read when inflate is set (inflate.go, every build
// but the classify-only engine's).

// zipEntry is a file of the archive, as its central directory lists it.
type zipEntry struct {
	name         string
	flags        uint16
	method       uint16
	crc          uint32
	packed, size uint32 // compressed and uncompressed sizes
	local        int    // offset of its local header in the model
}

const (
	zipMethodStore   = 0
	zipMethodDeflate = 8

	zipEndSize     = 22 // the end of central directory record, without its comment
	zipCentralSize = 46 // a central directory header, without its name, extra and comment
	zipLocalSize   = 30 // a local file header, without its name and extra
)

// errNoZip is zipFiles' error for a model with no archive at its end.
var errNoZip = errors.New("not a valid zip file")

// inflate decompresses a deflated file of size bytes; nil in builds that
// read only stored files.
var inflate func(packed []byte, size int) ([]byte, error)

// zipFiles lists the files of the zip archive at the end of data.
func zipFiles(data []byte) ([]zipEntry, error) {
	end := -1
	// The end record is the last thing in the archive but its comment (at
	// most 65535 bytes): the last signature whose comment ends the data.
	for i := len(data) - zipEndSize; i >= 0 && i >= len(data)-zipEndSize-0xffff; i-- {
		if string(data[i:i+4]) == "PK\x05\x06" && i+zipEndSize+int(le16(data[i+20:])) == len(data) {
			end = i
			break
		}
	}
	if end < 0 {
		return nil, errNoZip
	}
	e := data[end:]
	count := int(le16(e[10:]))
	dirSize, dirOffset := int64(binary.LittleEndian.Uint32(e[12:])), int64(binary.LittleEndian.Uint32(e[16:]))
	if le16(e[4:]) != 0 || le16(e[6:]) != 0 || le16(e[8:]) != uint16(count) {
		return nil, errors.New("zip archives on several disks are not supported")
	}
	if count == 0xffff || dirSize == 0xffffffff || dirOffset == 0xffffffff {
		return nil, errors.New("zip64 archives are not supported")
	}
	// base is where the archive starts in data: offsets count from there.
	base := int64(end) - dirSize - dirOffset
	if base < 0 {
		return nil, textfmt.Errorf("central directory (%d bytes at %d) does not end where the end record starts (%d)", dirSize, dirOffset, end)
	}
	dir := data[base+dirOffset : end]
	if len(dir) < count*zipCentralSize {
		return nil, textfmt.Errorf("%d central directory entries do not fit in %d bytes", count, len(dir))
	}
	files := make([]zipEntry, 0, count)
	for range count {
		if len(dir) < zipCentralSize || string(dir[:4]) != "PK\x01\x02" {
			return nil, errors.New("malformed central directory")
		}
		nameLen, extraLen, commentLen := int(le16(dir[28:])), int(le16(dir[30:])), int(le16(dir[32:]))
		next := zipCentralSize + nameLen + extraLen + commentLen
		if next > len(dir) {
			return nil, errors.New("malformed central directory")
		}
		f := zipEntry{
			name:   string(dir[zipCentralSize : zipCentralSize+nameLen]),
			flags:  le16(dir[8:]),
			method: le16(dir[10:]),
			crc:    binary.LittleEndian.Uint32(dir[16:]),
			packed: binary.LittleEndian.Uint32(dir[20:]),
			size:   binary.LittleEndian.Uint32(dir[24:]),
		}
		local := int64(binary.LittleEndian.Uint32(dir[42:]))
		if f.packed == 0xffffffff || f.size == 0xffffffff || local == 0xffffffff {
			return nil, errors.New("zip64 archives are not supported")
		}
		f.local = int(base + local)
		files = append(files, f)
		dir = dir[next:]
	}
	return files, nil
}

// zipRead returns the contents of f, checked against its size and CRC-32.
// The caller has checked that f.size is no larger than the model.
func zipRead(data []byte, f zipEntry) ([]byte, error) {
	if f.flags&1 != 0 {
		return nil, errors.New("encrypted")
	}
	at := f.local
	if at > len(data)-zipLocalSize || string(data[at:at+4]) != "PK\x03\x04" {
		return nil, errors.New("malformed local header")
	}
	start := int64(at) + zipLocalSize + int64(le16(data[at+26:])) + int64(le16(data[at+28:]))
	if start+int64(f.packed) > int64(len(data)) {
		return nil, textfmt.Errorf("its %d bytes run past the end of the model", f.packed)
	}
	packed := data[start : start+int64(f.packed)]
	var out []byte
	switch {
	case f.method == zipMethodStore:
		if f.packed != f.size {
			return nil, textfmt.Errorf("stored with %d bytes, declared %d", f.packed, f.size)
		}
		out = packed
	case f.method == zipMethodDeflate && inflate != nil:
		var err error
		if out, err = inflate(packed, int(f.size)); err != nil {
			return nil, err
		}
	case f.method == zipMethodDeflate:
		return nil, errors.New("deflate-compressed, which this engine build does not read (TFLite's metadata writer stores files uncompressed; the full engine build reads both)")
	default:
		return nil, textfmt.Errorf("compression method %d is not supported", f.method)
	}
	if crc32.ChecksumIEEE(out) != f.crc {
		return nil, errors.New("bad checksum")
	}
	return out, nil
}

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
