#include "support/MiniDataset.hpp"

#include <cstring>
#include <stdexcept>

namespace yf::test {
namespace {

// A column to write: name, file type, and values (numbers or strings).
struct Col {
  std::string name;
  enum Kind { integer, real, string } kind;
  hid_t file_type;  // for strings: ignored (fixed 32 or variable)
  std::vector<double> numbers;
  std::vector<std::string> strings;
};

void check(herr_t s, const char* what) {
  if (s < 0) throw std::runtime_error(std::string("MiniDataset: ") + what);
}

hid_t string_type(bool variable, std::size_t size) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (variable) {
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
  } else {
    H5Tset_size(t, size);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
  }
  return t;
}

void write_table(hid_t file, const char* path, const std::vector<Col>& cols, std::size_t rows, bool variable) {
  // Memory layout: int64 / double / (char* or char[32]) per column; HDF5 converts to the file types.
  std::vector<std::size_t> offsets;
  std::size_t size = 0;
  for (const Col& c : cols) {
    offsets.push_back(size);
    size += (c.kind == Col::string) ? (variable ? sizeof(char*) : 32) : 8;
  }
  size = (size + 7) & ~std::size_t{7};
  hid_t mem = H5Tcreate(H5T_COMPOUND, size), ftype = H5Tcreate(H5T_COMPOUND, 1024);
  std::size_t foff = 0;
  std::vector<hid_t> owned;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    const Col& c = cols[i];
    hid_t mt = c.kind == Col::integer ? H5T_NATIVE_INT64 : c.kind == Col::real ? H5T_NATIVE_DOUBLE : string_type(variable, 32);
    hid_t ft = c.kind == Col::string ? string_type(variable, 32) : c.file_type;
    if (c.kind == Col::string) owned.push_back(mt), owned.push_back(ft);
    H5Tinsert(mem, c.name.c_str(), offsets[i], mt);
    H5Tinsert(ftype, c.name.c_str(), foff, ft);
    foff += H5Tget_size(ft);
  }
  H5Tset_size(ftype, foff);
  std::vector<unsigned char> buf(rows * size, 0);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t i = 0; i < cols.size(); ++i) {
      unsigned char* p = buf.data() + r * size + offsets[i];
      const Col& c = cols[i];
      if (c.kind == Col::integer) {
        auto v = static_cast<std::int64_t>(c.numbers[r]);
        std::memcpy(p, &v, 8);
      } else if (c.kind == Col::real) {
        std::memcpy(p, &c.numbers[r], 8);
      } else if (variable) {
        const char* s = c.strings[r].c_str();
        std::memcpy(p, &s, sizeof s);
      } else {
        std::strncpy(reinterpret_cast<char*>(p), c.strings[r].c_str(), 32);
      }
    }
  hsize_t dims[1] = {rows};
  hid_t space = H5Screate_simple(1, dims, nullptr);
  hid_t ds = H5Dcreate2(file, path, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  check(ds, path);
  if (rows) check(H5Dwrite(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), path);
  H5Dclose(ds);
  H5Sclose(space);
  H5Tclose(mem);
  H5Tclose(ftype);
  for (hid_t t : owned) H5Tclose(t);
}

void attr_double(hid_t loc, const char* name, double v) {
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(loc, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_DOUBLE, &v);
  H5Aclose(a);
  H5Sclose(sp);
}

void attr_int(hid_t loc, const char* name, int v) {
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(loc, name, H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_INT, &v);
  H5Aclose(a);
  H5Sclose(sp);
}

void attr_string(hid_t loc, const char* name, const std::string& v, bool variable) {
  hid_t t = string_type(variable, v.size() + 1);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  if (variable) {
    const char* s = v.c_str();
    H5Awrite(a, t, &s);
  } else {
    H5Awrite(a, t, v.c_str());
  }
  H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(t);
}

}  // namespace

WaferMeta& MiniDataset::add_wafer(const std::string& id, const std::string& product) {
  WaferMeta m;
  m.wafer_id = id;
  m.lot_id = "LOT1";
  m.slot = static_cast<int>(wafers.size()) + 1;
  m.fab = "FAB1";
  m.tool = "TOOL1";
  m.product = product;
  m.step = "M1";
  m.timestamp = 1700000000 + static_cast<std::int64_t>(wafers.size());
  m.defect_begin = static_cast<std::int64_t>(defects.size());
  wafers.push_back(m);
  return wafers.back();
}

void MiniDataset::set_defects(std::size_t row, const std::vector<Defect>& list) {
  wafers[row].defect_begin = static_cast<std::int64_t>(defects.size());
  wafers[row].defect_count = static_cast<std::int64_t>(list.size());
  for (const Defect& d : list) defects.emplace_back(static_cast<std::int64_t>(row), d);
}

void MiniDataset::set_binmap(std::size_t row, const std::vector<std::int16_t>& bins) {
  const std::string& product = wafers[row].product;
  const ProductGeometry* geometry = nullptr;
  for (const auto& p : products)
    if (p.name == product) geometry = &p;
  if (!geometry) throw std::runtime_error("MiniDataset::set_binmap: unknown product " + product);
  auto& maps = binmaps[product];
  wafers[row].binmap_row = static_cast<std::int64_t>(maps.size() / static_cast<std::size_t>(geometry->die_count()));
  maps.insert(maps.end(), bins.begin(), bins.end());
}

void MiniDataset::write(const std::string& path) const {
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  check(file, "create");
  if (format) attr_string(file, "format", *format, variable_strings);
  if (format_version) attr_int(file, "format_version", *format_version);

  hid_t products_group = H5Gcreate2(file, "/products", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  for (const auto& p : products) {
    hid_t g = H5Gcreate2(products_group, p.name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    attr_double(g, "wafer_diameter_mm", p.wafer_diameter_mm);
    attr_double(g, "edge_exclusion_mm", p.edge_exclusion_mm);
    attr_double(g, "die_width_mm", p.die_width_mm);
    attr_double(g, "die_height_mm", p.die_height_mm);
    attr_int(g, "cols", p.cols);
    attr_int(g, "rows", p.rows);
    attr_double(g, "grid_x0_mm", p.grid_x0_mm);
    attr_double(g, "grid_y0_mm", p.grid_y0_mm);
    H5Gclose(g);
  }
  H5Gclose(products_group);

  // /wafers, honouring the column knobs.
  std::vector<Col> cols;
  auto add_string = [&](const char* name, auto get) {
    if (omit_wafer_column == name) return;
    Col c{name, Col::string, 0, {}, {}};
    for (const auto& w : wafers) c.strings.push_back(get(w));
    cols.push_back(c);
  };
  auto add_int = [&](const char* name, hid_t type, auto get) {
    if (omit_wafer_column == name) return;
    Col c{name, Col::integer, type, {}, {}};
    if (string_wafer_column == name) c.kind = Col::string;
    if (float_wafer_column == name) c.kind = Col::real, c.file_type = H5T_IEEE_F64LE;
    for (const auto& w : wafers) {
      c.numbers.push_back(static_cast<double>(get(w)));
      c.strings.push_back(std::to_string(get(w)));
    }
    cols.push_back(c);
  };
  add_string("wafer_id", [](const WaferMeta& w) { return w.wafer_id; });
  add_string("lot_id", [](const WaferMeta& w) { return w.lot_id; });
  add_int("slot", int_type == H5T_STD_I64LE ? H5T_STD_I32LE : int_type, [](const WaferMeta& w) { return w.slot; });
  add_string("fab", [](const WaferMeta& w) { return w.fab; });
  add_string("tool", [](const WaferMeta& w) { return w.tool; });
  add_string("product", [](const WaferMeta& w) { return w.product; });
  add_string("step", [](const WaferMeta& w) { return w.step; });
  add_int("timestamp", H5T_STD_I64LE, [](const WaferMeta& w) { return w.timestamp; });  // Unix seconds need 64 bits
  add_int("image_row", int_type, [](const WaferMeta& w) { return w.image_row; });
  add_int("binmap_row", int_type, [](const WaferMeta& w) { return w.binmap_row; });
  add_int("defect_begin", int_type, [](const WaferMeta& w) { return w.defect_begin; });
  add_int("defect_count", int_type, [](const WaferMeta& w) { return w.defect_count; });
  write_table(file, "/wafers", cols, wafers.size(), variable_strings);

  if (!defects.empty()) {
    std::vector<Col> d = {{"wafer_row", Col::integer, int_type, {}, {}}, {"x_mm", Col::real, real_type, {}, {}},
                          {"y_mm", Col::real, real_type, {}, {}},        {"size_um", Col::real, real_type, {}, {}},
                          {"class_id", Col::integer, int_type, {}, {}}};
    for (const auto& [row, def] : defects) {
      d[0].numbers.push_back(static_cast<double>(row));
      d[1].numbers.push_back(def.x_mm);
      d[2].numbers.push_back(def.y_mm);
      d[3].numbers.push_back(def.size_um);
      d[4].numbers.push_back(def.class_id);
    }
    write_table(file, "/defects", d, defects.size(), variable_strings);
  }
  if (classes) {
    std::vector<Col> c = {{"class_id", Col::integer, H5T_STD_I32LE, {}, {}}, {"name", Col::string, 0, {}, {}},
                          {"killer", Col::integer, H5T_STD_U8LE, {}, {}}};
    for (const auto& k : *classes) {
      c[0].numbers.push_back(k.class_id);
      c[1].strings.push_back(k.name);
      c[2].numbers.push_back(k.killer ? 1 : 0);
    }
    write_table(file, "/defect_classes", c, classes->size(), variable_strings);
  }
  if (bins) {
    std::vector<Col> c = {{"bin", Col::integer, H5T_STD_I16LE, {}, {}}, {"name", Col::string, 0, {}, {}},
                          {"pass", Col::integer, H5T_STD_U8LE, {}, {}}};
    for (const auto& b : *bins) {
      c[0].numbers.push_back(b.bin);
      c[1].strings.push_back(b.name);
      c[2].numbers.push_back(b.pass ? 1 : 0);
    }
    write_table(file, "/bins", c, bins->size(), variable_strings);
  }
  if (!binmaps.empty()) {
    hid_t g = H5Gcreate2(file, "/binmaps", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    for (const auto& [product, values] : binmaps) {
      std::vector<hsize_t> dims;
      if (binmap_dims.count(product)) {
        dims = binmap_dims.at(product);
      } else {
        for (const auto& p : products)
          if (p.name == product)
            dims = {values.size() / static_cast<std::size_t>(p.die_count()), static_cast<hsize_t>(p.rows),
                    static_cast<hsize_t>(p.cols)};
      }
      hsize_t n = 1;
      for (hsize_t d : dims) n *= d;
      std::vector<std::int16_t> data(values);
      data.resize(n, -1);
      hid_t sp = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
      hid_t ds = H5Dcreate2(g, product.c_str(), H5T_STD_I16LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      check(H5Dwrite(ds, H5T_NATIVE_INT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), "binmap");
      H5Dclose(ds);
      H5Sclose(sp);
    }
    H5Gclose(g);
  }
  if (images > 0) {
    hsize_t dims[3] = {static_cast<hsize_t>(images), static_cast<hsize_t>(image_h), static_cast<hsize_t>(image_w)};
    std::vector<std::uint8_t> pixels(images * image_h * image_w, 128);
    hid_t sp = H5Screate_simple(3, dims, nullptr);
    hid_t ds = H5Dcreate2(file, "/images", H5T_STD_U8LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, pixels.data());
    H5Dclose(ds);
    H5Sclose(sp);
  }
  if (!history.empty()) {
    std::vector<Col> c = {{"wafer_row", Col::integer, H5T_STD_I64LE, {}, {}}, {"step", Col::string, 0, {}, {}},
                          {"tool", Col::string, 0, {}, {}}, {"chamber", Col::string, 0, {}, {}},
                          {"timestamp", Col::integer, H5T_STD_I64LE, {}, {}}};
    for (std::size_t i = 0; i < history.size(); ++i) {
      c[0].numbers.push_back(static_cast<double>(history_wafer_rows[i]));
      c[1].strings.push_back(history[i].step);
      c[2].strings.push_back(history[i].tool);
      c[3].strings.push_back(history[i].chamber);
      c[4].numbers.push_back(static_cast<double>(history[i].timestamp));
    }
    write_table(file, "/history", c, history.size(), variable_strings);
  }
  H5Fclose(file);
}

}  // namespace yf::test
