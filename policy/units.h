/* Strict parsers for the values of policy keys and command-line options: durations, sizes,
 * percentages, counts. systemd's syntax, so a unit file's values read the same here. Every
 * error says what was expected. Shared by the policy file and the CLI. */
#ifndef CORRAL_POLICY_UNITS_H
#define CORRAL_POLICY_UNITS_H

#include <stdbool.h>
#include <stdint.h>

#include "../ns/err.h"

#define UNITS_INFINITY UINT64_MAX

/* "5s", "500ms", "1min 30s", "2.5s", "1h", "250us", "3d"; a bare number is in seconds.
 * "infinity" only when allow_infinity. Result in microseconds. */
int units_parse_duration(const char *text, bool allow_infinity, uint64_t *usec, struct cerr *err);

/* "256M", "1G", "1.5G", "4096", "512K" (1024-based: K M G T P E); "infinity" when allowed.
 * Result in bytes. */
int units_parse_size(const char *text, bool allow_infinity, uint64_t *bytes, struct cerr *err);

/* "20%", "150%", "12.5%", "0.25%" (at most two decimals). Result in hundredths of a percent
 * (basis points): "12.5%" -> 1250. */
int units_parse_percent(const char *text, uint64_t *basis_points, struct cerr *err);

/* A decimal count: "64", or "infinity" when allowed. */
int units_parse_count(const char *text, bool allow_infinity, uint64_t *value, struct cerr *err);

/* Boolean per systemd: yes/no, true/false, on/off, 1/0. */
int units_parse_bool(const char *text, bool *value, struct cerr *err);

/* "1min 30s", "500ms", "infinity" (for messages and `policy check`). */
const char *units_format_duration(uint64_t usec, char *buf, size_t len);
const char *units_format_size(uint64_t bytes, char *buf, size_t len);

#endif
