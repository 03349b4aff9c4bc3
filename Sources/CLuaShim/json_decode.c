/*
 * JSON bytes -> Lua values, with no intermediate objects. Why C: speed, and
 * errors raise (luaL_error) from inside the parser.
 *
 * Objects become tables (a `null` member is left out), arrays become
 * sequences marked with the array metatable (so they encode back as arrays,
 * empty ones too), `null` inside arrays becomes json.null. Integers that fit
 * stay integers. Invalid UTF-8, lone surrogates and nesting past
 * LSH_JSON_MAX_DEPTH are errors that name the byte offset.
 */
#include "runtime_private.h"
#include "json_private.h"

#include <stdlib.h>
#include <math.h>
#include <string.h>

const char lsh_null_key = 0;
const char lsh_array_mt_key = 0;

typedef struct {
  lua_State *L;
  const unsigned char *start, *p, *end;
  int depth;
  int mt; /* stack index of the array metatable */
  /* Size of the last object/array seen at each depth: documents repeat their
     shapes, so presizing from it saves most rehashes. */
  int object_hint[LSH_JSON_HINT_DEPTH];
  int array_hint[LSH_JSON_HINT_DEPTH];
} decoder;

static int fail(decoder *d, const char *what) {
  return luaL_error(d->L, "json: %s at byte %d", what, (int)(d->p - d->start) + 1);
}

static inline void skip_ws(decoder *d) {
  while (d->p < d->end && (*d->p == ' ' || *d->p == '\n' || *d->p == '\r' || *d->p == '\t')) d->p++;
}

/* Length of the valid UTF-8 sequence at p (p[0] >= 0x80), or 0. */
static int utf8_len(const unsigned char *p, const unsigned char *end) {
  unsigned c = p[0];
  if (c >= 0xC2 && c <= 0xDF) return (end - p >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (end - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && p[1] < 0xA0) return 0; /* overlong */
    if (c == 0xED && p[1] >= 0xA0) return 0; /* surrogate */
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (end - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;
    if (c == 0xF4 && p[1] >= 0x90) return 0;
    return 4;
  }
  return 0;
}

int lsh_utf8_len(const unsigned char *p, const unsigned char *end) { return utf8_len(p, end); }

static int hex4(decoder *d, const unsigned char *p) {
  int v = 0;
  if (d->end - p < 4) return -1;
  for (int i = 0; i < 4; i++) {
    int c = p[i], h;
    if (c >= '0' && c <= '9') h = c - '0';
    else if (c >= 'a' && c <= 'f') h = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') h = c - 'A' + 10;
    else return -1;
    v = v * 16 + h;
  }
  return v;
}

static void add_utf8(luaL_Buffer *b, unsigned cp) {
  char s[4];
  int n;
  if (cp < 0x80) s[0] = (char)cp, n = 1;
  else if (cp < 0x800) s[0] = (char)(0xC0 | (cp >> 6)), s[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
  else if (cp < 0x10000)
    s[0] = (char)(0xE0 | (cp >> 12)), s[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), s[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
  else
    s[0] = (char)(0xF0 | (cp >> 18)), s[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
    s[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), s[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
  luaL_addlstring(b, s, n);
}

/* The slow path: a string with escapes. d->p is just past the opening quote. */
static void string_escaped(decoder *d) {
  luaL_Buffer b;
  luaL_buffinit(d->L, &b);
  for (;;) {
    const unsigned char *run = d->p;
    while (d->p < d->end && lsh_json_plain[*d->p]) d->p++;
    if (d->p > run) luaL_addlstring(&b, (const char *)run, d->p - run);
    if (d->p >= d->end) fail(d, "unterminated string");
    unsigned c = *d->p;
    if (c == '"') {
      d->p++;
      luaL_pushresult(&b);
      return;
    }
    if (c >= 0x80) {
      int n = utf8_len(d->p, d->end);
      if (n == 0) fail(d, "invalid UTF-8 in string");
      luaL_addlstring(&b, (const char *)d->p, n);
      d->p += n;
      continue;
    }
    if (c < 0x20) fail(d, "control character in string");
    d->p++; /* backslash */
    if (d->p >= d->end) fail(d, "unterminated string");
    switch (*d->p++) {
      case '"': luaL_addchar(&b, '"'); break;
      case '\\': luaL_addchar(&b, '\\'); break;
      case '/': luaL_addchar(&b, '/'); break;
      case 'b': luaL_addchar(&b, '\b'); break;
      case 'f': luaL_addchar(&b, '\f'); break;
      case 'n': luaL_addchar(&b, '\n'); break;
      case 'r': luaL_addchar(&b, '\r'); break;
      case 't': luaL_addchar(&b, '\t'); break;
      case 'u': {
        int cp = hex4(d, d->p);
        if (cp < 0) fail(d, "invalid \\u escape");
        d->p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          int lo = (d->end - d->p >= 6 && d->p[0] == '\\' && d->p[1] == 'u') ? hex4(d, d->p + 2) : -1;
          if (lo < 0xDC00 || lo > 0xDFFF) fail(d, "lone surrogate in \\u escape");
          d->p += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          fail(d, "lone surrogate in \\u escape");
        }
        add_utf8(&b, (unsigned)cp);
        break;
      }
      default:
        d->p--;
        fail(d, "invalid escape in string");
    }
  }
}

static void parse_string(decoder *d) {
  const unsigned char *s = ++d->p;
  for (;;) { /* the fast path: plain ASCII up to the closing quote */
    while (d->p < d->end && lsh_json_plain[*d->p]) d->p++;
    if (d->p < d->end && *d->p >= 0x80) {
      int n = utf8_len(d->p, d->end);
      if (n == 0) fail(d, "invalid UTF-8 in string");
      d->p += n;
      continue;
    }
    break;
  }
  if (d->p < d->end && *d->p == '"') {
    lua_pushlstring(d->L, (const char *)s, d->p - s);
    d->p++;
    return;
  }
  d->p = s;
  string_escaped(d);
}

/* JSON has no infinity: a number past a double's range (1e400) is refused,
   as AshbyKit's scanner refuses it, rather than read as inf that no encoder
   can write back (found by scripts/fuzz). */
static void push_finite(decoder *d, double v) {
  if (isinf(v)) fail(d, "number out of range");
  lua_pushnumber(d->L, v);
}

static void parse_number(decoder *d) {
  const unsigned char *s = d->p;
  int neg = 0, is_float = 0;
  if (*d->p == '-') neg = 1, d->p++;
  if (d->p >= d->end || *d->p < '0' || *d->p > '9') fail(d, "invalid number");
  uint64_t v = 0;
  int digits = 0;
  if (*d->p == '0') d->p++, digits = 1;
  else
    while (d->p < d->end && *d->p >= '0' && *d->p <= '9') v = v * 10 + (*d->p++ - '0'), digits++;
  if (d->p < d->end && *d->p == '.') {
    is_float = 1;
    d->p++;
    if (d->p >= d->end || *d->p < '0' || *d->p > '9') fail(d, "invalid number");
    while (d->p < d->end && *d->p >= '0' && *d->p <= '9') d->p++;
  }
  if (d->p < d->end && (*d->p == 'e' || *d->p == 'E')) {
    is_float = 1;
    d->p++;
    if (d->p < d->end && (*d->p == '+' || *d->p == '-')) d->p++;
    if (d->p >= d->end || *d->p < '0' || *d->p > '9') fail(d, "invalid number");
    while (d->p < d->end && *d->p >= '0' && *d->p <= '9') d->p++;
  }
  if (!is_float && digits <= 18) {
    lua_pushinteger(d->L, neg ? -(lua_Integer)v : (lua_Integer)v);
    return;
  }
  char buf[64];
  size_t len = d->p - s;
  if (len >= sizeof buf) { /* valid but long: let Lua make the NUL-terminated copy */
    lua_pushlstring(d->L, (const char *)s, len);
    double v = lsh_strtod(lua_tostring(d->L, -1), NULL);
    lua_pop(d->L, 1);
    push_finite(d, v);
    return;
  }
  memcpy(buf, s, len);
  buf[len] = '\0';
  if (!is_float && lua_stringtonumber(d->L, buf) == len + 1) { /* 19+ digits */
    if (lua_isinteger(d->L, -1)) return;
    lua_pop(d->L, 1);
  }
  push_finite(d, lsh_strtod(buf, NULL));
}

static void parse_value(decoder *d);

static void parse_array(decoder *d) {
  lua_State *L = d->L;
  if (++d->depth > LSH_JSON_MAX_DEPTH) fail(d, "nesting too deep");
  luaL_checkstack(L, 4, "json: nesting too deep");
  d->p++;
  int hint = d->depth < LSH_JSON_HINT_DEPTH ? d->array_hint[d->depth] : 0;
  lua_createtable(L, hint, 0);
  lua_pushvalue(L, d->mt);
  lua_setmetatable(L, -2);
  skip_ws(d);
  if (d->p < d->end && *d->p == ']') {
    d->p++;
    d->depth--;
    return;
  }
  for (lua_Integer i = 1;; i++) {
    parse_value(d);
    lua_rawseti(L, -2, i);
    skip_ws(d);
    if (d->p >= d->end) fail(d, "unterminated array");
    if (*d->p == ',') {
      d->p++;
      continue;
    }
    if (*d->p == ']') {
      d->p++;
      d->depth--;
      if (d->depth + 1 < LSH_JSON_HINT_DEPTH) d->array_hint[d->depth + 1] = (int)i;
      return;
    }
    fail(d, "expected ',' or ']'");
  }
}

static void parse_object(decoder *d) {
  lua_State *L = d->L;
  if (++d->depth > LSH_JSON_MAX_DEPTH) fail(d, "nesting too deep");
  luaL_checkstack(L, 4, "json: nesting too deep");
  d->p++;
  int level = d->depth;
  lua_createtable(L, 0, level < LSH_JSON_HINT_DEPTH ? d->object_hint[level] : 0);
  skip_ws(d);
  if (d->p < d->end && *d->p == '}') {
    d->p++;
    d->depth--;
    return;
  }
  int members = 0;
  for (;; members++) {
    skip_ws(d);
    if (d->p >= d->end || *d->p != '"') fail(d, "expected a string key");
    parse_string(d);
    skip_ws(d);
    if (d->p >= d->end || *d->p != ':') fail(d, "expected ':'");
    d->p++;
    parse_value(d);
    if (lua_type(L, -1) == LUA_TLIGHTUSERDATA) lua_pop(L, 2); /* null member: absent */
    else lua_rawset(L, -3);
    skip_ws(d);
    if (d->p >= d->end) fail(d, "unterminated object");
    if (*d->p == ',') {
      d->p++;
      continue;
    }
    if (*d->p == '}') {
      d->p++;
      d->depth--;
      if (level < LSH_JSON_HINT_DEPTH) d->object_hint[level] = members + 1;
      return;
    }
    fail(d, "expected ',' or '}'");
  }
}

static int literal(decoder *d, const char *word, size_t n) {
  if ((size_t)(d->end - d->p) < n || memcmp(d->p, word, n) != 0) fail(d, "invalid literal");
  d->p += n;
  return 1;
}

static void parse_value(decoder *d) {
  skip_ws(d);
  if (d->p >= d->end) fail(d, "unexpected end of input");
  switch (*d->p) {
    case '{': parse_object(d); return;
    case '[': parse_array(d); return;
    case '"': parse_string(d); return;
    case 't': literal(d, "true", 4), lua_pushboolean(d->L, 1); return;
    case 'f': literal(d, "false", 5), lua_pushboolean(d->L, 0); return;
    case 'n': literal(d, "null", 4), lua_pushlightuserdata(d->L, (void *)&lsh_null_key); return;
    default: parse_number(d); return;
  }
}

static void decode(lua_State *L, const char *s, size_t len) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &lsh_array_mt_key);
  decoder d;
  memset(&d, 0, sizeof d);
  d.L = L;
  d.start = d.p = (const unsigned char *)s;
  d.end = d.start + len;
  d.mt = lua_gettop(L);
  parse_value(&d);
  skip_ws(&d);
  if (d.p != d.end) fail(&d, "trailing characters");
  lua_remove(L, d.mt);
}

int lsh_json_decode(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  lua_settop(L, 1);
  decode(L, s, len);
  return 1;
}

static int decode_bytes_p(lua_State *L) {
  decode(L, lua_touserdata(L, 1), (size_t)lua_tointeger(L, 2));
  return 1;
}

int lsh_json_decode_bytes(lua_State *L, const char *bytes, size_t len) {
  /* No call may run on a suspended coroutine (the driver pushes results onto
     one before resuming it): decode on the main thread and move the value. */
  lua_State *on = L;
  if (lua_status(L) != LUA_OK) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
    on = lua_tothread(L, -1);
    lua_pop(L, 1);
  }
  if (!lua_checkstack(on, 3)) {
    lua_pushnil(L);
    return LUA_ERRMEM;
  }
  lua_pushcfunction(on, decode_bytes_p);
  lua_pushlightuserdata(on, (void *)bytes);
  lua_pushinteger(on, (lua_Integer)len);
  int status = lsh_pcall(on, 2, 1, 0);
  if (on != L) lua_xmove(on, L, 1);
  return status;
}

void lsh_push_null(lua_State *L) { lua_pushlightuserdata(L, (void *)&lsh_null_key); }
int lsh_is_null(lua_State *L, int idx) {
  return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == (void *)&lsh_null_key;
}

void lsh_mark_array(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &lsh_array_mt_key);
  lua_setmetatable(L, idx);
}

int lsh_is_marked_array(lua_State *L, int idx) {
  if (!lua_getmetatable(L, idx)) return 0;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &lsh_array_mt_key);
  int same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same;
}
