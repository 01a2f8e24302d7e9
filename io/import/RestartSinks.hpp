#pragma once
// Sinks that let an importer try a fast reader first and start again with a safe one
// (SEMI E142: SemiXmlFast, then libxml2) without the destination seeing anything twice.
// - CallCountingSink forwards every call as it comes and counts them.
// - SkippingSink drops the first n calls, those the fast reader already delivered,
//   and forwards the rest.
// This is sound because both readers drive the same importer over the same bytes: the
// calls the fast reader makes before it declines are the safe reader's first calls
// (tests/import/SemiXmlFast_test.cpp checks it on files declined after several
// wafers; fuzz/fuzz_e142_diff.cpp checks it on every fuzzed input the fast reader
// declines). Nothing is held back: holding a file's maps until its end cost more page
// faults on fresh memory than the whole rest of a typical E142 import
// (docs/performance.md, branch e142b).
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "io/import/ImportSink.hpp"

namespace yf::import {

class CallCountingSink : public ImportSink {
 public:
  explicit CallCountingSink(ImportSink& out) : out_(out) {}
  void add_product(const ProductGeometry& p) override {
    forward([&] { out_.add_product(p); });
  }
  void add_defect_classes(const std::vector<DefectClass>& c) override {
    forward([&] { out_.add_defect_classes(c); });
  }
  void add_bins(const std::vector<BinDef>& b) override {
    forward([&] { out_.add_bins(b); });
  }
  void add_wafer(WaferRecord w) override {
    forward([&] { out_.add_wafer(std::move(w)); });
  }
  void warning(const std::string& where, const std::string& message) override {
    forward([&] { out_.warning(where, message); });
  }
  // Calls forwarded so far (a call whose forwarding threw counts: it may have had effects).
  std::size_t calls() const { return calls_; }
  // Whether the destination threw: its error is the import's, not a reason to read again.
  bool out_failed() const { return out_failed_; }

 private:
  template <class F>
  void forward(F&& f) {
    ++calls_;
    try {
      f();
    } catch (...) {
      out_failed_ = true;
      throw;
    }
  }
  ImportSink& out_;
  std::size_t calls_ = 0;
  bool out_failed_ = false;
};

class SkippingSink : public ImportSink {
 public:
  SkippingSink(ImportSink& out, std::size_t skip) : out_(out), skip_(skip) {}
  void add_product(const ProductGeometry& p) override {
    if (pass()) out_.add_product(p);
  }
  void add_defect_classes(const std::vector<DefectClass>& c) override {
    if (pass()) out_.add_defect_classes(c);
  }
  void add_bins(const std::vector<BinDef>& b) override {
    if (pass()) out_.add_bins(b);
  }
  void add_wafer(WaferRecord w) override {
    if (pass()) out_.add_wafer(std::move(w));
  }
  void warning(const std::string& where, const std::string& message) override {
    if (pass()) out_.warning(where, message);
  }

 private:
  bool pass() { return skip_ == 0 || (--skip_, false); }
  ImportSink& out_;
  std::size_t skip_;
};

}  // namespace yf::import
