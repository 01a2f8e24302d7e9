#pragma once
// Bin codes as the SEMI map formats (E142, G85) and SINF write them in a row of
// text: how a row splits into codes and what number each code is.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace yf::import {

// E142/G85 BinType: HexaDecimal (2 characters a code), Decimal (3), Ascii (1: the
// character is the code, its number the character's code point), Integer2 (a
// 2-byte integer, written as 4 hexadecimal characters).
enum class BinCodeType { hex, decimal, ascii, integer2 };

// Case-insensitive: "HexaDecimal"/"Hexadecimal"/"Hex", "Decimal", "Ascii"/"ASCII",
// "Integer2". nullopt for anything else.
std::optional<BinCodeType> parse_bin_code_type(std::string_view s);
int code_width(BinCodeType type);

// The codes of one row: tokens between white space or commas when the row has
// any, otherwise fixed-width codes of the type's width (an Ascii row is never
// split at separators: a space can be a code). Surrounding white space is ignored.
// Returns false when a fixed-width row's length is not a multiple of the width.
bool split_codes(std::string_view row, BinCodeType type, std::vector<std::string_view>& out);

// The number a code stands for; nullopt when it is not a code of the type.
std::optional<int> code_value(std::string_view code, BinCodeType type);

// split_codes then code_value for a whole row, fused (the hot loop of the map
// importers): appends each code's number to `out`. On a bad code returns false
// with `bad` set to it; on a fixed-width row of the wrong length returns false
// with `bad` empty.
bool decode_codes(std::string_view row, BinCodeType type, std::vector<int>& out, std::string_view& bad);

// n two-character hexadecimal codes at p, p + stride, ... (stride 2: a packed row,
// 3: codes with one separator each) into out[0..n), without a branch per code.
// False when any character is not a hex digit (out then holds garbage).
bool decode_hex2(const char* p, std::size_t n, std::size_t stride, int* out);

// n packed two-character hexadecimal codes at p straight into 16-bit map cells, the
// code `null_code` (0..255; -1: none) as -1. False when any character is not a hex digit.
bool decode_hex2_cells(const char* p, std::size_t n, int null_code, std::int16_t* out);

// Text helpers shared by the map importers.
std::string_view trim(std::string_view s);
bool iequals(std::string_view a, std::string_view b);

}  // namespace yf::import
