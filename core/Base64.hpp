#pragma once
// RFC 4648 base64 with padding: binary data inside text files (the HTML report's
// embedded images, the pattern model's flat forest). Header-only: yf_core has no
// sources.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace yf::base64 {

inline constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

inline std::string encode(const std::uint8_t* data, std::size_t size) {
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (const std::size_t rest = size - i; rest > 0) {
    std::uint32_t v = std::uint32_t{data[i]} << 16;
    if (rest == 2) v |= std::uint32_t{data[i + 1]} << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Appends the bytes of `text` to `out`. False (and `out` unspecified) unless
// `text` is canonical base64: a multiple of 4 characters of the alphabet, '=' only
// as the last one or two, and the bits a padded group leaves over zero.
inline bool decode(std::string_view text, std::vector<std::uint8_t>& out) {
  static constexpr auto table = [] {
    struct {
      std::int8_t v[256];
    } t{};
    for (auto& x : t.v) x = -1;
    for (int i = 0; i < 64; ++i) t.v[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
    return t;
  }();
  if (text.size() % 4 != 0) return false;
  std::size_t at = out.size();
  out.resize(at + text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const int pad = last ? (text[i + 3] == '=') + (text[i + 3] == '=' && text[i + 2] == '=') : 0;
    std::uint32_t v = 0;
    for (int k = 0; k < 4 - pad; ++k) {
      const std::int8_t d = table.v[static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)])];
      if (d < 0) return false;  // also a '=' anywhere but at the end
      v = v << 6 | static_cast<std::uint32_t>(d);
    }
    v <<= 6 * pad;
    if ((pad == 1 && (v & 0xFF) != 0) || (pad == 2 && (v & 0xFFFF) != 0)) return false;
    out[at++] = static_cast<std::uint8_t>(v >> 16);
    out[at++] = static_cast<std::uint8_t>(v >> 8);
    out[at++] = static_cast<std::uint8_t>(v);
    at -= static_cast<std::size_t>(pad);
  }
  out.resize(at);
  return true;
}

}  // namespace yf::base64
