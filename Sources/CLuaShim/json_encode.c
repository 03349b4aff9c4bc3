/*
 * Lua values -> JSON bytes. Why C: speed, and errors raise from inside.
 *
 * A table is an array when it carries the array mark (json.array, or it was
 * decoded from an array) or when its keys are exactly 1..n (n >= 1); an empty
 * unmarked table is an object `{}`. Object keys must be strings (integer keys
 * of a mixed table are written as decimal strings, unless the same string key
 * is there too: refused). A marked array must have exactly the keys 1..n
 * (a hole or a far key would be dropped: refused). json.null encodes as null;
 * functions, userdata, NaN and infinities are errors; so are invalid UTF-8
 * and cycles (caught by the depth limit). A table reached twice is written
 * twice, so values are counted (LSH_JSON_MAX_VALUES): shared sub-tables
 * cannot multiply into billions of values in C, where no hook can stop them.
 * Numbers are written in the C locale, whatever os.setlocale says.
 */
#include "runtime_private.h"
#include "json_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const unsigned char lsh_json_plain[256] = {
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
    R16(0), R16(0),                                             /* 0x00-0x1F: control */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,              /* 0x20-0x2F: '"' */
    R16(1), R16(1),                                             /* 0x30-0x4F */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,              /* 0x50-0x5F: '\\' */
    R16(1), R16(1),                                             /* 0x60-0x7F */
    R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0) /* 0x80-0xFF: checked */
#undef R16
};

/* The output buffer lives in a userdata so an error mid-way frees it at the next GC. */
typedef struct {
  char *p;
  size_t len, cap;
  lua_Alloc alloc;
  void *ud;
  int mt; /* stack index of the array metatable */
  size_t values; /* written so far, against LSH_JSON_MAX_VALUES */
} outbuf;

static int outbuf_gc(lua_State *L) {
  outbuf *b = lua_touserdata(L, 1);
  if (b->p) b->alloc(b->ud, b->p, b->cap, 0);
  b->p = NULL;
  return 0;
}

static void grow(lua_State *L, outbuf *b, size_t need) {
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + need) cap *= 2;
  char *p = b->alloc(b->ud, b->p, b->cap, cap);
  if (p == NULL) {
    if (!lsh_memory_limit(L)) luaL_error(L, "not enough memory");
    lsh_push_limit_error(L, LSH_INTERRUPT_MEMORY); /* past --max-memory: say so */
    lua_error(L);
  }
  b->p = p;
  b->cap = cap;
}

static inline void put(lua_State *L, outbuf *b, const char *s, size_t n) {
  if (b->len + n > b->cap) grow(L, b, n);
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

static inline void putc_(lua_State *L, outbuf *b, char c) {
  if (b->len + 1 > b->cap) grow(L, b, 1);
  b->p[b->len++] = c;
}

static void put_string(lua_State *L, outbuf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)s, *end = p + n;
  /* Room for the plain case; escapes (rare) make more room as they go. */
  if (b->len + n + 8 > b->cap) grow(L, b, n + 8);
  char *o = b->p + b->len;
  *o++ = '"';
  while (p < end) {
    const unsigned char *run = p;
    while (p < end && lsh_json_plain[*p]) p++;
    memcpy(o, run, p - run);
    o += p - run;
    if (p >= end) break;
    unsigned c = *p;
    if ((size_t)(o - b->p) + (size_t)(end - p) + 8 > b->cap) {
      b->len = o - b->p;
      grow(L, b, (end - p) + 8);
      o = b->p + b->len;
    }
    if (c >= 0x80) {
      int k = lsh_utf8_len(p, end);
      if (k == 0) luaL_error(L, "json: cannot encode a string with invalid UTF-8");
      memcpy(o, p, k);
      o += k;
      p += k;
      continue;
    }
    p++;
    *o++ = '\\';
    switch (c) {
      case '"': *o++ = '"'; break;
      case '\\': *o++ = '\\'; break;
      case '\n': *o++ = 'n'; break;
      case '\r': *o++ = 'r'; break;
      case '\t': *o++ = 't'; break;
      case '\b': *o++ = 'b'; break;
      case '\f': *o++ = 'f'; break;
      default:
        *o++ = 'u', *o++ = '0', *o++ = '0', *o++ = hex[c >> 4], *o++ = hex[c & 15];
    }
  }
  *o++ = '"';
  b->len = o - b->p;
}

static void put_integer(lua_State *L, outbuf *b, lua_Integer i) {
  char tmp[24];
  char *e = tmp + sizeof tmp, *s = e;
  lua_Unsigned u = i < 0 ? (lua_Unsigned)0 - (lua_Unsigned)i : (lua_Unsigned)i;
  do *--s = (char)('0' + u % 10);
  while ((u /= 10) != 0);
  if (i < 0) *--s = '-';
  put(L, b, s, e - s);
}

static void put_float(lua_State *L, outbuf *b, lua_Number x) {
  if (isnan(x) || isinf(x)) luaL_error(L, "json: cannot encode NaN or infinity");
  char tmp[40];
  int n = lsh_format_double(tmp, sizeof tmp, "%.14g", x);
  if (lsh_strtod(tmp, NULL) != x) n = lsh_format_double(tmp, sizeof tmp, "%.17g", x);
  if (strpbrk(tmp, ".eEn") == NULL) tmp[n++] = '.', tmp[n++] = '0'; /* keep it a float */
  put(L, b, tmp, (size_t)n);
}

static void encode(lua_State *L, outbuf *b, int idx, int depth);

/* Stack index of the array metatable during one encode. */
static int marked(lua_State *L, int idx, int mt) {
  if (!lua_getmetatable(L, idx)) return 0;
  int same = lua_rawequal(L, -1, mt);
  lua_pop(L, 1);
  return same;
}

/* Array length n if the table's keys are exactly 1..n (n >= 1), 0 for empty, -1 otherwise. */
static lua_Integer array_length(lua_State *L, int idx) {
  lua_Integer count = 0, max = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
      lua_pop(L, 1);
      return -1;
    }
    lua_Integer k = lua_tointeger(L, -1);
    if (k > max) max = k;
    count++;
  }
  return max == count ? count : -1;
}

static void encode_table(lua_State *L, outbuf *b, int idx, int depth) {
  /* depth counts from 0: at most LSH_JSON_MAX_DEPTH levels, as decode reads. */
  if (depth >= LSH_JSON_MAX_DEPTH) luaL_error(L, "json: nesting too deep (or a cycle)");
  luaL_checkstack(L, 6, "json: nesting too deep");
  int is_marked = marked(L, idx, b->mt);
  lua_Integer n = array_length(L, idx);
  /* A marked array with a hole or a key past its length would lose elements: refused. */
  if (is_marked && n < 0)
    luaL_error(L, "json: an array (json.array) may only have the keys 1..n; this one has others or holes");
  if (n > 0 || (n == 0 && is_marked)) {
    putc_(L, b, '[');
    for (lua_Integer i = 1; i <= n; i++) {
      if (i > 1) putc_(L, b, ',');
      lua_rawgeti(L, idx, i);
      encode(L, b, lua_gettop(L), depth + 1);
      lua_pop(L, 1);
    }
    putc_(L, b, ']');
    return;
  }
  putc_(L, b, '{');
  int first = 1;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (!first) putc_(L, b, ',');
    first = 0;
    if (lua_type(L, -2) == LUA_TSTRING) {
      size_t kl;
      const char *k = lua_tolstring(L, -2, &kl);
      put_string(L, b, k, kl);
    } else if (lua_isinteger(L, -2)) {
      /* [1] is written "1": a table that also has ["1"] would repeat the key. */
      lua_pushfstring(L, "%I", (LUAI_UACINT)lua_tointeger(L, -2));
      if (lua_rawget(L, idx) != LUA_TNIL)
        luaL_error(L, "json: the table has the key %I both as a number and as a string: one object key",
                   (LUAI_UACINT)lua_tointeger(L, -3));
      lua_pop(L, 1);
      putc_(L, b, '"');
      put_integer(L, b, lua_tointeger(L, -2));
      putc_(L, b, '"');
    } else {
      luaL_error(L, "json: object keys must be strings (got %s)", luaL_typename(L, -2));
    }
    putc_(L, b, ':');
    encode(L, b, lua_gettop(L), depth + 1);
    lua_pop(L, 1);
  }
  putc_(L, b, '}');
}

static void encode(lua_State *L, outbuf *b, int idx, int depth) {
  if (++b->values > LSH_JSON_MAX_VALUES)
    luaL_error(L, "json: value too large to encode (more than %d values; a shared table counts each time)",
               LSH_JSON_MAX_VALUES);
  switch (lua_type(L, idx)) {
    case LUA_TNIL: put(L, b, "null", 4); return;
    case LUA_TBOOLEAN:
      if (lua_toboolean(L, idx)) put(L, b, "true", 4);
      else put(L, b, "false", 5);
      return;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) put_integer(L, b, lua_tointeger(L, idx));
      else put_float(L, b, lua_tonumber(L, idx));
      return;
    case LUA_TSTRING: {
      size_t n;
      const char *s = lua_tolstring(L, idx, &n);
      put_string(L, b, s, n);
      return;
    }
    case LUA_TTABLE: encode_table(L, b, idx, depth); return;
    case LUA_TLIGHTUSERDATA:
      if (lsh_is_null(L, idx)) {
        put(L, b, "null", 4);
        return;
      }
      /* fallthrough */
    default:
      luaL_error(L, "json: cannot encode a %s", luaL_typename(L, idx));
  }
}

int lsh_json_encode(lua_State *L) {
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  outbuf *b = lua_newuserdatauv(L, sizeof(outbuf), 0);
  memset(b, 0, sizeof *b);
  b->alloc = lua_getallocf(L, &b->ud);
  if (luaL_newmetatable(L, "lsh.json.outbuf")) {
    lua_pushcfunction(L, outbuf_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &lsh_array_mt_key);
  b->mt = lua_gettop(L);
  encode(L, b, 1, 0);
  lua_pushlstring(L, b->p, b->len);
  b->alloc(b->ud, b->p, b->cap, 0);
  b->p = NULL;
  return 1;
}

static int json_array(lua_State *L) {
  if (lua_isnoneornil(L, 1)) lua_newtable(L), lua_replace(L, 1);
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lsh_mark_array(L, 1);
  return 1;
}

void lsh_json_setup(lua_State *L) {
  lua_newtable(L);
  lua_pushliteral(L, "json.array");
  lua_setfield(L, -2, "__name");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &lsh_array_mt_key);
}

/* Pushes the `json` module table: encode, decode, null, array. */
int lsh_json_push_module(lua_State *L) {
  lua_createtable(L, 0, 4);
  lua_pushcfunction(L, lsh_json_encode);
  lua_setfield(L, -2, "encode");
  lua_pushcfunction(L, lsh_json_decode);
  lua_setfield(L, -2, "decode");
  lua_pushcfunction(L, json_array);
  lua_setfield(L, -2, "array");
  lsh_push_null(L);
  lua_setfield(L, -2, "null");
  return 1;
}
