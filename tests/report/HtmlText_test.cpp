// Escaping, base64 and number formats of the HTML report, on known values.
#include <catch2/catch.hpp>

#include <string>

#include "io/report/HtmlText.hpp"

using namespace yf::report;

TEST_CASE("report: html_escape replaces the five special characters", "[report]") {
  CHECK(html_escape("LOT<1>&\"x\"'y'") == "LOT&lt;1&gt;&amp;&quot;x&quot;&#39;y&#39;");
  CHECK(html_escape("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;");
  CHECK(html_escape("plain ETCH-03") == "plain ETCH-03");
  CHECK(html_escape("") == "");
}

TEST_CASE("report: html_escape keeps UTF-8 and whitespace, replaces control characters", "[report]") {
  CHECK(html_escape("Fab \xC3\xA9t\xC3\xA9") == "Fab \xC3\xA9t\xC3\xA9");  // "été"
  CHECK(html_escape("a\tb\nc\r") == "a\tb\nc\r");
  CHECK(html_escape(std::string("a\0b", 3)) == "a\xEF\xBF\xBD" "b");
  CHECK(html_escape("x\x1By") == "x\xEF\xBF\xBDy");
}

TEST_CASE("report: base64 matches the RFC 4648 test vectors", "[report]") {
  auto b64 = [](const std::string& s) {
    return base64_encode(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  CHECK(b64("") == "");
  CHECK(b64("f") == "Zg==");
  CHECK(b64("fo") == "Zm8=");
  CHECK(b64("foo") == "Zm9v");
  CHECK(b64("foob") == "Zm9vYg==");
  CHECK(b64("fooba") == "Zm9vYmE=");
  CHECK(b64("foobar") == "Zm9vYmFy");
  // Every 6-bit value: bytes 0x00 0x10 0x83 0x10 0x51 0x87 ... encode to the alphabet in order.
  std::vector<std::uint8_t> all = {0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8b, 0x30, 0xd3, 0x8f,
                                   0x41, 0x14, 0x93, 0x51, 0x55, 0x97, 0x61, 0x96, 0x9b, 0x71, 0xd7, 0x9f,
                                   0x82, 0x18, 0xa3, 0x92, 0x59, 0xa7, 0xa2, 0x9a, 0xab, 0xb2, 0xdb, 0xaf,
                                   0xc3, 0x1c, 0xb3, 0xd3, 0x5d, 0xb7, 0xe3, 0x9e, 0xbb, 0xf3, 0xdf, 0xbf};
  CHECK(base64_encode(all) == "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
  CHECK(data_uri("image/png", {'f', 'o', 'o'}) == "data:image/png;base64,Zm9v");
}

TEST_CASE("report: number formats are fixed and say n/a for missing values", "[report]") {
  CHECK(format_percent(0.85234) == "85.2 %");
  CHECK(format_percent(1.0, 0) == "100 %");
  CHECK(format_percent(std::nullopt) == "n/a");
  CHECK(format_percent(std::nan("")) == "n/a");
  CHECK(format_number(0.12345, 3) == "0.123");
  CHECK(format_count(0) == "0");
  CHECK(format_count(999) == "999");
  CHECK(format_count(1000) == "1,000");
  CHECK(format_count(12345678) == "12,345,678");
  CHECK(format_count(-4500) == "-4,500");
  CHECK(format_p_value(0.04567) == "0.046");
  CHECK(format_p_value(1.234e-7) == "1.2e-07");
  CHECK(format_time(1709251200) == "2024-03-01 00:00");  // the samples' first day, UTC
  CHECK(format_time(1709251200 + 8 * 3600 + 125) == "2024-03-01 08:02");
}
