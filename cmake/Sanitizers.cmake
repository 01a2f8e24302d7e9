# -DYF_SANITIZE="address;undefined" or -DYF_SANITIZE=thread (see CMakePresets.json).
if(YF_SANITIZE)
  string(REPLACE ";" "," _yf_san "${YF_SANITIZE}")
  add_compile_options(-fsanitize=${_yf_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_yf_san})
endif()
