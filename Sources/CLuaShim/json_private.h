/* Internal to the JSON codec. */
#ifndef LSH_JSON_PRIVATE_H
#define LSH_JSON_PRIVATE_H

#define LSH_JSON_MAX_DEPTH 1000
#define LSH_JSON_HINT_DEPTH 32
/* Values one encode may write: far above any Ashby payload, far below what runs for minutes. */
#define LSH_JSON_MAX_VALUES 20000000

extern const char lsh_null_key;
extern const char lsh_array_mt_key;
/* 1 for bytes that may stand in a JSON string as they are (ASCII, not '"', '\\', < 0x20). */
extern const unsigned char lsh_json_plain[256];
int lsh_utf8_len(const unsigned char *p, const unsigned char *end);

#endif
