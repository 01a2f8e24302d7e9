# -DYF_SANITIZE="address;undefined" or -DYF_SANITIZE=thread (see CMakePresets.json).
if(YF_SANITIZE)
  string(REPLACE ";" "," _yf_san "${YF_SANITIZE}")
  add_compile_options(-fsanitize=${_yf_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_yf_san})
  if("undefined" IN_LIST YF_SANITIZE)
    # oneTBB 2021.8's graph_task::destruct_and_deallocate (detail/_flow_graph_impl.h)
    # static_casts `this` to the derived task type after running its destructor, which
    # the vptr check reports on every flow-graph task. The cast only computes the
    # address to free; every other UBSan check stays on.
    add_compile_options(-fno-sanitize=vptr)
  endif()
endif()
