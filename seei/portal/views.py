def _todo(request, *args, **kwargs):
    raise NotImplementedError


home = tender_list = tender_detail = document_download = ask = dashboard = _todo
