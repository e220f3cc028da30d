'use strict'
// Every kind of string V8 reports: short/long flat one-byte and two-byte
// strings (Latin-1, CJK, emoji/astral, lone surrogates), cons strings made with
// `+` (shallow, deep, longer than DevTools' 1024-char rebuild limit, and
// flattened ones), sliced strings (substring of a long flat string), strings
// full of quotes/backslashes/newlines/control characters/commas/braces, and
// such strings used as property names (including on plain objects, so the
// `{...}` preview/interface names must escape them).
//
// Node 20's V8 writes astral characters as a truncated \uXXXX escape and lone
// surrogates as '???' in the snapshot; whatever ends up in the file is what both
// tools must agree on.
const v8 = require('v8')

const out = process.argv[2]
if (!out) throw new Error('usage: node strings.js OUT.heapsnapshot')

// Build strings at run time so they are heap strings, not just literals.
const rt = (s) => [...s].join('')
const n = Number(process.env.STRINGS_SEED || 7)

const flat = {
  shortAscii: rt('short-ascii-' + n),
  longAscii: rt('L').repeat(20000) + n,
  latin1: rt('caf\u00e9 na\u00efve \u00fcber \u00ff ') + n,
  cjk: rt('\u6f22\u5b57\u30c6\u30b9\u30c8 ') + n, // two-byte
  emoji: rt('emoji \u{1F600}\u{1F680}\u{1F9EA} ') + n, // astral: surrogate pairs
  astralMath: rt('\u{1D400}\u{1D401}\u{10348} ') + n,
  loneHigh: rt('lone \uD800 high ') + n,
  loneLow: rt('lone \uDC00 low ') + n,
  quotes: rt('he said "hi" and \'bye\' ') + n,
  backslashes: rt('C:\\path\\to\\file \\n not-a-newline ') + n,
  newlines: rt('line1\nline2\r\nline3\u2028line4\u2029end ') + n,
  controls: rt('ctl \u0001\u0002\u0007\b\t\u000b\f\u001b\u001f\u007f ') + n,
  jsonish: rt('{"a": [1, 2, {"b": "c"}], \'d\': null} ') + n,
  commasBraces: rt('a, b, {c}, [d], (e) ') + n,
  htmlish: rt('<div id="x" class=\'y\'>&amp; text</div> ') + n,
  withNul: rt('before\u0000after ') + n,
  empty: rt(''),
  spaces: rt('   ') + n,
  longTwoByte: rt('\u0416\u{1F600}').repeat(3000) + n
}

// Cons strings (ConsString needs length >= 13).
const base = rt('0123456789abcdef')
const cons = {
  simple: base + rt('-suffix-') + n,
  twoByte: rt('\u4e2d\u6587\u5b57\u7b26\u4e32') + base + n,
  emojiCons: base + rt('\u{1F600}\u{1F600}') + base,
  nested: (base + '(' + base + ')') + ('[' + base + ']' + n),
  deep: (() => { let s = rt('start:'); for (let i = 0; i < 500; i++) s = s + rt('seg' + i + ';'); return s })(), // > 1024 chars
  deepLeft: (() => { let s = rt('R'); for (let i = 0; i < 200; i++) s = rt('L' + i) + s; return s })(),
  withQuotes: rt('"quoted" ') + rt('\\back\\slash\n ') + n
}
// A cons string that V8 flattens in place (becomes cons(flat, "")).
let flattened = base + rt('-will-be-flattened-') + n
flattened.charCodeAt(3)
flattened = [flattened][0]
const flattenedHolder = { flattened, regexHit: /flat/.test(cons.simple) }

// Sliced strings (substring of a long flat string, length >= 13).
const parent = rt('P').repeat(5000) + rt('sliced-content-here-') + rt('Q').repeat(5000)
const sliced = {
  mid: parent.substring(4990, 5030),
  start: parent.slice(0, 100),
  twoByte: flat.longTwoByte.substring(10, 200),
  ofCons: cons.deep.substring(5, 80)
}

// Strings as property names: on plain objects (interface names / previews) and
// on a class instance.
const weirdKeys = [
  'comma,key', 'quote"key', "apos'key", 'brace{key}', 'back\\slash', 'new\nline',
  'tab\tkey', 'ctl\u0001key', 'emoji\u{1F600}key', 'lone\uD800key', 'sp ace',
  '', '__proto__x', 'very-long-' + 'k'.repeat(150)
]
const weirdObjects = []
for (let i = 0; i < 4; i++) {
  const o = {}
  for (const k of weirdKeys) o[k] = 'v' + i // heap values: V8 emits no edges for Smi-valued properties
  weirdObjects.push(o)
}
const pairs = []
for (let i = 0; i < 6; i++) pairs.push({ 'x,y': 'x' + i, '{z}': ['z', i] })
const quoted = []
for (let i = 0; i < 5; i++) quoted.push({ 'say "hi"': 'q' + i, plain: { i } })
class KeyHolder { constructor () { for (const k of weirdKeys) this[k] = k } }

// Many small distinct strings and duplicated strings (same content, different objects).
const many = Array.from({ length: 500 }, (_, i) => rt('item-' + i))
const dupes = Array.from({ length: 50 }, () => rt('duplicate-content'))

globalThis.stringsScenario = {
  flat,
  cons,
  flattenedHolder,
  parent,
  sliced,
  weirdObjects,
  pairs,
  quoted,
  keyHolder: new KeyHolder(),
  many,
  dupes,
  keyedByString: Object.fromEntries(many.slice(0, 50).map((s) => [s + '\u00e9', s]))
}

v8.writeHeapSnapshot(out)
