def _todo(request, *args, **kwargs):
    raise NotImplementedError


tender_list = tender_create = tender_manage = tender_edit = lot_edit = lot_delete = document_add = _todo
publish = erratum = clarifications = answer = _todo
